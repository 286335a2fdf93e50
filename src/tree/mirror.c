/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mirror a bootstrap installs from (mirror.h): the host's own, read from its apt
 * sources, and a probe of it with a HEAD request of our own, unless apt goes through a
 * proxy. Not the download, which is the bootstrap tool's (bootstrap.c). */
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tree/mirror.h"
#include "tree/new-tree.h"
#include "util/log.h"
#include "util/macro.h"

/* Whether URI's last path component is WORD: http://deb.debian.org/debian/ for debian. */
static bool uri_names(const char *uri, const char *word)
{
        size_t n = strlen(uri), w = strlen(word);

        while (n > 0 && uri[n - 1] == '/')
                n--;
        return n > w && uri[n - w - 1] == '/' && strncmp(uri + n - w, word, w) == 0 &&
               (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0);
}

/* The first URI of DISTRIBUTION in one apt sources file, one-line (.list) or deb822
 * (.sources) style; NULL when there is none. */
static char *sources_file_mirror(const char *path, const char *distribution)
{
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        char *found = NULL;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        while (!found && getline(&line, &allocated, f) > 0) {
                char *save = NULL, *word;

                if (line[strspn(line, " \t")] == '#')
                        continue;
                for (word = strtok_r(line, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save))
                        if (uri_names(word, distribution)) {
                                size_t n = strlen(word);

                                while (n > 0 && word[n - 1] == '/')
                                        n--;
                                found = strndup(word, n);
                                break;
                        }
        }
        fclose(f);
        return found;
}

/* The mirror the host's apt uses for DISTRIBUTION: a host that reaches only its own
 * mirror (a proxy, a local copy) bootstraps from it too. */
char *host_mirror(const char *distribution)
{
        struct dirent **entries = NULL;
        char *found = sources_file_mirror("/etc/apt/sources.list", distribution);
        int n;

        if (found)
                return found;
        n = scandir("/etc/apt/sources.list.d", &entries, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t length = strlen(name);
                _cleanup_free_ char *path = NULL;

                if (!found &&
                    ((length > 5 && strcmp(name + length - 5, ".list") == 0) ||
                     (length > 8 && strcmp(name + length - 8, ".sources") == 0)) &&
                    asprintf(&path, "/etc/apt/sources.list.d/%s", name) >= 0)
                        found = sources_file_mirror(path, distribution);
                free(entries[i]);
        }
        free(entries);
        return found;
}

/* With a proxy (environment or apt's own setting), the mirror may be reachable only
 * through it: our direct probe would say no for nothing. */
static bool proxy_configured(void)
{
        static const char *const variables[] = { "http_proxy",  "HTTP_PROXY", "https_proxy",
                                                 "HTTPS_PROXY", "all_proxy",  "ALL_PROXY" };
        struct dirent **entries = NULL;
        bool found = false;
        int n;

        for (size_t i = 0; i < ELEMENTSOF(variables); i++)
                if (getenv(variables[i]) && getenv(variables[i])[0])
                        return true;
        n = scandir("/etc/apt/apt.conf.d", &entries, NULL, alphasort);
        for (int i = -1; i < n; i++) {
                _cleanup_free_ char *path = NULL, *line = NULL;
                size_t allocated = 0;
                FILE *f;

                if (i < 0)
                        path = strdup("/etc/apt/apt.conf");
                else if (entries[i]->d_name[0] != '.' && asprintf(&path, "/etc/apt/apt.conf.d/%s", entries[i]->d_name) < 0)
                        path = NULL;
                if (i >= 0)
                        free(entries[i]);
                f = !found && path ? fopen(path, "re") : NULL;
                while (f && !found && getline(&line, &allocated, f) > 0) {
                        const char *start = line + strspn(line, " \t");

                        if (start[0] != '#' && start[0] != '/' && strcasestr(start, "::proxy"))
                                found = true;
                }
                if (f)
                        fclose(f);
        }
        free(entries);
        return found;
}

#define PROBE_TIMEOUT_MS 10000

/* A TCP connection to HOST:PORT, or -errno (-EHOSTUNREACH when the name does not
 * resolve; *RET_GAI_ERROR says why). */
static int connect_host(const char *host, const char *port, int signal_fd, int *ret_gai_error)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *addresses = NULL;
        int r = -EHOSTUNREACH, fd = -EBADF;

        *ret_gai_error = getaddrinfo(host, port, &hints, &addresses);
        if (*ret_gai_error != 0)
                return -EHOSTUNREACH;
        for (struct addrinfo *a = addresses; a && fd < 0; a = a->ai_next) {
                int error = 0;
                socklen_t length = sizeof(error);

                fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                        r = negative_errno();
                        continue;
                }
                if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS)
                        r = negative_errno();
                else {
                        r = wait_fd_or_interrupt(fd, POLLOUT, signal_fd, PROBE_TIMEOUT_MS);
                        if (r == 0)
                                r = -ETIMEDOUT;
                        else if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) >= 0)
                                r = error ? -error : 0;
                }
                if (r < 0) {
                        close(fd);
                        fd = -EBADF;
                        if (r == -EINTR)
                                break;
                }
        }
        freeaddrinfo(addresses);
        return fd >= 0 ? fd : r;
}

/* The status of HEAD PATH on the connection FD (200, 404, ...), 0 when there is no
 * answer in time, or -EINTR. */
static int http_head(int fd, const char *host, const char *path, int signal_fd)
{
        char request[1024], answer[256];
        size_t got = 0;
        int n, status;

        n = snprintf(request, sizeof(request),
                     "HEAD %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: machined-lite/" MACHINED_LITE_VERSION
                     "\r\nConnection: close\r\n\r\n",
                     path, host);
        if (n < 0 || (size_t)n >= sizeof(request) || send(fd, request, (size_t)n, MSG_NOSIGNAL) != n)
                return 0;
        while (got < sizeof(answer) - 1 && !memchr(answer, '\n', got)) {
                ssize_t k;

                n = wait_fd_or_interrupt(fd, POLLIN, signal_fd, PROBE_TIMEOUT_MS);
                if (n <= 0)
                        return n;
                k = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
                if (k <= 0)
                        break;
                got += (size_t)k;
        }
        answer[got] = '\0';
        if (sscanf(answer, "HTTP/%*d.%*d %d", &status) != 1)
                return 0;
        return status;
}

/* Before a minute of the tool's time: is the mirror there, and does it have RELEASE?
 * Fails (one line) only on a clear answer: the host does not resolve or accept a
 * connection, or the release is missing (404 for both InRelease and Release). Anything
 * else, https (a TLS we do not speak) and file: mirrors are the tool's to judge. */
int probe_mirror(const char *mirror, const char *release, int signal_fd)
{
        char host[256], port[8], path[768];
        const char *rest, *end;
        bool https = strncmp(mirror, "https://", 8) == 0;
        size_t path_length;
        int gai_error, r;

        if (strncmp(mirror, "http://", 7) != 0 && !https)
                return 0;
        if (proxy_configured())
                return 0;
        rest = mirror + (https ? 8 : 7);
        end = rest + strcspn(rest, "/");
        if (rest[0] == '[') {
                const char *close_bracket = memchr(rest, ']', (size_t)(end - rest));

                if (!close_bracket)
                        return 0;
                snprintf(host, sizeof(host), "%.*s", (int)(close_bracket - rest - 1), rest + 1);
                rest = close_bracket + 1;
        } else {
                size_t n = strcspn(rest, ":/");

                snprintf(host, sizeof(host), "%.*s", (int)n, rest);
                rest += n;
        }
        if (rest[0] == ':')
                snprintf(port, sizeof(port), "%.*s", (int)(end - rest - 1), rest + 1);
        else
                snprintf(port, sizeof(port), "%s", https ? "443" : "80");

        _cleanup_close_ int fd = connect_host(host, port, signal_fd, &gai_error);
        if (fd == -EINTR)
                return -EINTR;
        if (fd == -EHOSTUNREACH && gai_error)
                return log_error_errno(-EHOSTUNREACH,
                                       "Cannot reach %s: host %s does not resolve (%s); is there a network?", mirror,
                                       host, gai_strerror(gai_error));
        if (fd < 0)
                return log_error_errno(fd, "Cannot reach %s: no connection to %s port %s: %m; is there a network?",
                                       mirror, host, port);
        if (https)
                return 0;

        path_length = strlen(end);
        while (path_length > 0 && end[path_length - 1] == '/')
                path_length--;
        for (size_t i = 0; i < 2; i++) {
                const char *file = i == 0 ? "InRelease" : "Release";

                if (i > 0) {
                        close(fd);
                        fd = connect_host(host, port, signal_fd, &gai_error);
                        if (fd < 0)
                                return fd == -EINTR ? -EINTR : 0;
                }
                snprintf(path, sizeof(path), "%.*s/dists/%s/%s", (int)path_length, end, release, file);
                r = http_head(fd, host, path, signal_fd);
                if (r == -EINTR)
                        return -EINTR;
                if (r != 404)
                        return 0;
        }
        return log_error_errno(-ENOENT,
                               "Release %s not found at %s (it has no dists/%s/InRelease nor Release): check --release",
                               release, mirror, release);
}
