/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NAME.machine files (libinih, dlopen()ed): where they are looked for, which keys an
 * untrusted location may set, and each key into struct machine as its option would. The
 * [Bootstrap] section is read here too, for the bootstrap verb. */
#include <dlfcn.h>
#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/custom-mount.h"
#include "config/exec-options.h"
#include "config/network.h"
#include "config/options.h"
#include "config/settings.h"
#include "guest/caps.h"
#include "guest/syscall-filter.h"
#include "util/dl.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

/* libinih, dlopen()ed for the moment the file is read (see util/dl.h). */
static struct {
        void *handle;
        int (*parse_stream)(ini_reader, void *, ini_handler, void *);
        bool *allow_inline_comments;
} libinih;

static int libinih_load(void)
{
        const struct dl_symbol symbols[] = {
                { "ini_parse_stream", (void **)&libinih.parse_stream },
        };
        int r;

        if (libinih.handle)
                return 0;
        libinih.handle = dl_open("libinih.so.1", symbols, ELEMENTSOF(symbols), &r);
        if (!libinih.handle)
                return r;
        /* Debian's libinih lets us turn off ";" comments after values: a value such as
         * Environment=A=x;y must reach us whole. */
        libinih.allow_inline_comments = dlsym(libinih.handle, "ini_allow_inline_comments");
        if (libinih.allow_inline_comments)
                *libinih.allow_inline_comments = false;
        return 0;
}

/* libinih reads each line into a buffer of a size fixed when it was built (200 bytes in
 * Debian's) and takes what does not fit for the next lines: a long line came out as
 * several, and an error in it at a line number that is not its own. So the file is read
 * here, a whole line at a time, and one that does not fit libinih's buffer is refused
 * with its own number. */
struct line_reader {
        FILE *f;
        char *line;
        size_t size;
        int number;      /* of the line handed to libinih last */
        size_t too_long; /* its length, when it did not fit; 0 otherwise */
        int limit;       /* the most characters a line may have, newline not counted */
};

static char *read_line(char *buf, int buf_size, void *userdata)
{
        struct line_reader *reader = userdata;
        ssize_t n = getline(&reader->line, &reader->size, reader->f);
        const char *start;
        size_t length;

        if (n < 0)
                return NULL;
        reader->number++;
        length = (size_t)n - (n > 0 && reader->line[n - 1] == '\n');
        /* The newline and the NUL need room too. */
        if (buf_size >= 3 && length <= (size_t)buf_size - 2) {
                memcpy(buf, reader->line, (size_t)n + 1);
                return buf;
        }
        /* A comment says nothing, whatever its length. */
        start = reader->line + strspn(reader->line, " \t");
        if (buf_size >= 3 && (*start == '#' || *start == ';')) {
                memcpy(buf, "#\n", 3);
                return buf;
        }
        reader->too_long = length;
        reader->limit = buf_size - 2;
        return NULL;
}

/* [Network], held apart until the whole file is read: which network the machine is on
 * is one choice, made either by the command line's network options or by the file's keys,
 * never a mix of the two (systemd-nspawn's rule: its --network-veth and a file's Zone=
 * would make a third network that nobody asked for). Port= merges with -p port by port,
 * as Bind= does with --bind. */
struct network_settings {
        bool given;          /* a key that says which network the machine is on */
        int private_network; /* Private=; -1 when not given */
        int veth;            /* VirtualEthernet=; -1 when not given */
        char *bridge, *zone;
        char **veth_extra, **interfaces, **macvlan, **ipvlan;
        struct port_forward *ports;
        size_t n_ports;
};

struct parse_state {
        struct machine *m;
        bool trusted;
        char error[400];
        int error_line; /* the line ERROR is about: the first one with an error */
        const struct line_reader *reader;
        struct bootstrap_settings *bootstrap;
        struct network_settings network;
};

static int set_string(char **field, const char *value)
{
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* Parameters=: words split at blanks, "..." and '...' keeping blanks, \\ quoting the
 * next character (outside single quotes), as systemd.nspawn(5) reads it. */
static int extend_quoted_words(char ***l, const char *value)
{
        _cleanup_free_ char *word = malloc(strlen(value) + 1);
        size_t n = 0;
        char quote = 0;
        bool in_word = false;

        if (!word)
                return -ENOMEM;
        for (const char *p = value;; p++) {
                if (*p == '\0' || (!quote && (*p == ' ' || *p == '\t'))) {
                        if (quote)
                                return -EINVAL;
                        if (in_word) {
                                word[n] = '\0';
                                if (strv_extend(l, word) < 0)
                                        return -ENOMEM;
                                n = 0;
                                in_word = false;
                        }
                        if (*p == '\0')
                                return 0;
                        continue;
                }
                in_word = true;
                if (*p == quote)
                        quote = 0;
                else if (!quote && (*p == '"' || *p == '\''))
                        quote = *p;
                else if (*p == '\\' && quote != '\'' && p[1])
                        word[n++] = *++p;
                else
                        word[n++] = *p;
        }
}

/* Keys that would grant the guest more than it gets by default: from a file next to
 * the tree (anyone who can write the tree wrote it) they are ignored, as
 * systemd-nspawn does. */
static bool key_grants(const char *section, const char *key, const char *value)
{
        if (!strcmp(section, "Exec"))
                return !strcmp(key, "Capability") || !strcmp(key, "SystemCallFilter") || !strcmp(key, "OOMScoreAdjust") ||
                       !strcmp(key, "LoadCredential") || (!strcmp(key, "PrivateUsers") && parse_boolean(value) == 0) ||
                       (!strcmp(key, "NoNewPrivileges") && parse_boolean(value) == 0);
        if (!strcmp(section, "Files"))
                return !strcmp(key, "Bind") || !strcmp(key, "BindReadOnly") || !strcmp(key, "Overlay") ||
                       !strcmp(key, "OverlayReadOnly") || !strcmp(key, "PrivateUsersOwnership") ||
                       !strcmp(key, "BindUser");
        /* Each makes links or firewall rules on the host, or takes the host's links away
         * (systemd.nspawn(5) calls them privileged); Private=yes only takes from the guest,
         * but Private=no under --settings=override would hand it the host's network. */
        if (!strcmp(section, "Network"))
                return (!strcmp(key, "Private") && parse_boolean(value) == 0) || !strcmp(key, "VirtualEthernet") ||
                       !strcmp(key, "VirtualEthernetExtra") || !strcmp(key, "Bridge") || !strcmp(key, "Zone") ||
                       !strcmp(key, "Interface") || !strcmp(key, "MACVLAN") || !strcmp(key, "IPVLAN") ||
                       !strcmp(key, "Port") || !strcmp(key, "Configure");
        return false;
}

/* systemd.nspawn(5)'s keys that are an option of both command lines (config/exec-options.c),
 * taken as that option, its message (if any) in P's. */
static const struct {
        const char *key;
        int option;
} option_keys[] = {
        { "WorkingDirectory", ARG_CHDIR },          { "User", 'u' },
        { "Personality", ARG_PERSONALITY },         { "MachineID", ARG_UUID },
        { "OOMScoreAdjust", ARG_OOM_SCORE_ADJUST }, { "CPUAffinity", ARG_CPU_AFFINITY },
        { "ResolvConf", ARG_RESOLV_CONF },          { "Timezone", ARG_TIMEZONE },
        { "LinkJournal", ARG_LINK_JOURNAL },        { "SuppressSync", ARG_SUPPRESS_SYNC },
        { "Inaccessible", ARG_INACCESSIBLE },       { "SetCredential", ARG_SET_CREDENTIAL },
        { "LoadCredential", ARG_LOAD_CREDENTIAL },  { "BindUser", ARG_BIND_USER },
};

static int parse_option_key(struct parse_state *p, const char *key, const char *value)
{
        _cleanup_free_ char *limit = NULL;
        int r = -ENOKEY;

        usage_capture(p->error, sizeof(p->error));
        for (size_t i = 0; i < ELEMENTSOF(option_keys); i++)
                if (!strcmp(key, option_keys[i].key))
                        r = exec_option_apply(option_keys[i].option, value, p->m);
        /* LimitNOFILE=SOFT[:HARD] is --rlimit=NOFILE=SOFT[:HARD]. */
        if (r == -ENOKEY && strncmp(key, "Limit", 5) == 0) {
                r = asprintf(&limit, "%s=%s", key, value) < 0 ? -ENOMEM : exec_option_apply(ARG_RLIMIT, limit, p->m);
                if (r == -EINVAL && strstr(p->error, "unknown resource"))
                        r = -ENOKEY;
        }
        usage_capture(NULL, 0);
        return r;
}

static int parse_exec(struct parse_state *p, const char *key, const char *value)
{
        struct machine *m = p->m;
        int r;

        /* The verb decides for machined-lite's own command line; for systemd-nspawn's,
         * these say what PID 1 is when it has neither -b nor -a. */
        if (!strcmp(key, "Boot") || !strcmp(key, "ProcessTwo")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EINVAL;
                if (r)
                        m->settings_verb = !strcmp(key, "Boot") ? VERB_BOOT : VERB_RUN;
                return 0;
        }
        if (!strcmp(key, "NotifyReady")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EINVAL;
                m->notify_ready = r;
                return 0;
        }
        if (!strcmp(key, "Parameters")) {
                strv_free(m->arguments);
                m->arguments = NULL;
                return extend_quoted_words(&m->arguments, value);
        }
        if (!strcmp(key, "Environment")) {
                if (!strchr(value, '=') || value[0] == '=')
                        return -EINVAL;
                return strv_env_set(&m->setenv, value);
        }
        if (!strcmp(key, "Hostname"))
                return set_string(&m->hostname, value);
        if (!strcmp(key, "KillSignal")) {
                r = signal_from_string(value);
                if (r <= 0)
                        return -EINVAL;
                m->kill_signal = r;
                return 0;
        }
        if (!strcmp(key, "PrivateUsers")) {
                r = parse_boolean(value);
                if (r == 1)
                        value = "pick";
                else if (r == 0)
                        value = "no";
                return userns_parse(value, m);
        }
        if (!strcmp(key, "NoNewPrivileges")) {
                r = parse_boolean(value);
                if (r < 0)
                        return r;
                m->no_new_privileges = r;
                return 0;
        }
        if (!strcmp(key, "Capability") || !strcmp(key, "DropCapability")) {
                const char *bad = NULL;
                uint64_t mask;
                _cleanup_free_ char *list = strdup(value);

                if (!list)
                        return -ENOMEM;
                for (char *c = list; *c; c++)
                        if (*c == ' ')
                                *c = ',';
                if (caps_parse(list, &mask, &bad) < 0)
                        return -EINVAL;
                if (!strcmp(key, "Capability"))
                        m->caps_add |= mask;
                else
                        m->caps_drop |= mask;
                return 0;
        }
        if (!strcmp(key, "SystemCallFilter"))
                return syscall_filter_parse(value, &m->syscall_allow, &m->syscall_deny, p->error, sizeof(p->error));
        if (!strcmp(key, "Ephemeral")) {
                r = parse_boolean(value);
                if (r < 0)
                        return r;
                m->ephemeral = r;
                return 0;
        }
        return parse_option_key(p, key, value);
}

static int parse_files(struct parse_state *p, const char *key, const char *value)
{
        struct machine *m = p->m;
        int r;

        if (!strcmp(key, "ReadOnly")) {
                r = parse_boolean(value);
                if (r < 0)
                        return r;
                m->read_only = r;
                return 0;
        }
        if (!strcmp(key, "Volatile")) {
                r = parse_boolean(value);
                r = r == 1 ? VOLATILE_YES : r == 0 ? VOLATILE_NO : volatile_mode_from_string(value);
                if (r < 0)
                        return r;
                m->volatile_mode = (enum volatile_mode)r;
                return 0;
        }
        if (!strcmp(key, "Bind") || !strcmp(key, "BindReadOnly"))
                return custom_mount_parse_bind(value, !strcmp(key, "BindReadOnly"), m, p->error, sizeof(p->error));
        if (!strcmp(key, "TemporaryFileSystem"))
                return custom_mount_parse_tmpfs(value, m, p->error, sizeof(p->error));
        if (!strcmp(key, "Overlay") || !strcmp(key, "OverlayReadOnly"))
                return custom_mount_parse_overlay(value, !strcmp(key, "OverlayReadOnly"), m, p->error, sizeof(p->error));
        if (!strcmp(key, "PrivateUsersOwnership")) {
                r = ownership_from_string(value);
                if (r < 0)
                        return r;
                m->ownership = (enum ownership)r;
                return 0;
        }
        return !strcmp(key, "Inaccessible") ? parse_option_key(p, key, value) : -ENOKEY;
}

/* A [Network] value's own message (network.c's), after the key it is about. */
static int network_value_error(struct parse_state *p, const char *key, const char *message)
{
        snprintf(p->error, sizeof(p->error), "%s= in [Network]: %s", key, message);
        return -EINVAL;
}

/* IF[:GUESTIF], as --network-interface= and the others check it, onto LIST. */
static int extend_link_pair(struct parse_state *p, const char *key, char ***list, const char *pair)
{
        char error[256];

        if (network_link_pair_check(pair, error, sizeof(error)) < 0)
                return network_value_error(p, key, error);
        return strv_extend(list, pair);
}

/* Interface=, MACVLAN=, IPVLAN=: a space-separated list, added to what earlier lines
 * gave; an empty value empties it (systemd.nspawn(5)). */
static int extend_link_list(struct parse_state *p, const char *key, char ***list, const char *value)
{
        _cleanup_free_ char *words = strdup(value);
        char *save = NULL;
        int r;

        if (!words)
                return -ENOMEM;
        if (value[strspn(value, " \t")] == '\0') {
                strv_free(*list);
                *list = NULL;
                return 0;
        }
        for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                r = extend_link_pair(p, key, list, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Where PORTS forwards PORT's host port (same protocol), or -1. */
static ssize_t port_index(const struct port_forward *ports, size_t n_ports, const struct port_forward *port)
{
        for (size_t i = 0; i < n_ports; i++)
                if (ports[i].protocol == port->protocol && ports[i].host_port == port->host_port)
                        return (ssize_t)i;
        return -1;
}

static int append_port(struct port_forward **ports, size_t *n_ports, const struct port_forward *port)
{
        struct port_forward *grown = realloc(*ports, (*n_ports + 1) * sizeof(*grown));

        if (!grown)
                return -ENOMEM;
        grown[(*n_ports)++] = *port;
        *ports = grown;
        return 0;
}

static int add_port(struct parse_state *p, const char *value)
{
        struct network_settings *n = &p->network;
        struct port_forward port;
        char error[256];

        if (port_forward_parse(value, &port, error, sizeof(error)) < 0)
                return network_value_error(p, "Port", error);
        if (port_index(n->ports, n->n_ports, &port) >= 0) {
                snprintf(p->error, sizeof(p->error), "Port= in [Network]: host port %s:%u is forwarded twice",
                         port.protocol == IPPROTO_UDP ? "udp" : "tcp", port.host_port);
                return -EINVAL;
        }
        return append_port(&n->ports, &n->n_ports, &port);
}

/* The keys of systemd.nspawn(5)'s [Network], each as its option in options.c, and our
 * Configure= (--network-configure=). */
static int parse_network(struct parse_state *p, const char *key, const char *value)
{
        struct network_settings *n = &p->network;
        int r;

        if (!strcmp(key, "Private") || !strcmp(key, "VirtualEthernet")) {
                r = parse_boolean(value);
                if (r < 0)
                        return r;
                *(!strcmp(key, "Private") ? &n->private_network : &n->veth) = r;
                n->given = true;
                return 0;
        }
        if (!strcmp(key, "Bridge") || !strcmp(key, "Zone")) {
                bool zone = !strcmp(key, "Zone");
                char error[256];

                n->given = true;
                if (value[0] == '\0') {
                        free(zone ? n->zone : n->bridge);
                        *(zone ? &n->zone : &n->bridge) = NULL;
                        return 0;
                }
                if (network_link_name_check(zone ? "vz-" : "", value, error, sizeof(error)) < 0)
                        return network_value_error(p, key, error);
                return set_string(zone ? &n->zone : &n->bridge, value);
        }
        if (!strcmp(key, "VirtualEthernetExtra")) {
                n->given = true;
                return extend_link_pair(p, key, &n->veth_extra, value);
        }
        if (!strcmp(key, "Interface") || !strcmp(key, "MACVLAN") || !strcmp(key, "IPVLAN")) {
                n->given = true;
                return extend_link_list(p, key,
                                        !strcmp(key, "Interface") ? &n->interfaces
                                        : !strcmp(key, "MACVLAN") ? &n->macvlan
                                                                  : &n->ipvlan,
                                        value);
        }
        if (!strcmp(key, "Port"))
                return add_port(p, value);
        if (!strcmp(key, "Configure")) {
                r = parse_boolean(value);
                if (r < 0 && strcmp(value, "auto") != 0)
                        return -EINVAL;
                p->m->network_configure = r == 1   ? NETWORK_CONFIGURE_YES
                                          : r == 0 ? NETWORK_CONFIGURE_NO
                                                   : NETWORK_CONFIGURE_AUTO;
                return 0;
        }
        return -ENOKEY;
}

static void network_settings_done(struct network_settings *n)
{
        free(n->bridge);
        free(n->zone);
        strv_free(n->veth_extra);
        strv_free(n->interfaces);
        strv_free(n->macvlan);
        strv_free(n->ipvlan);
        free(n->ports);
        *n = (struct network_settings){};
}

static void replace_string(char **field, char **value)
{
        free(*field);
        *field = TAKE_PTR(*value);
}

static void replace_strv(char ***field, char ***value)
{
        strv_free(*field);
        *field = TAKE_PTR(*value);
}

/* The file's [Network] into INTO, under the options of COMMAND_LINE where they win (NULL:
 * the file wins, --settings=override). The file's network replaces INTO's as a whole,
 * unless the command line names one itself (each of its network options sets
 * private_network, but --network-namespace-path): so VirtualEthernet=no turns off the
 * --network-veth of machine@.service, as in systemd-nspawn. The file's ports go with
 * INTO's, but those the command line forwards itself. */
static int network_settings_apply(struct network_settings *n, const struct machine *command_line, struct machine *into)
{
        int r;

        if (n->given && !(command_line && (command_line->private_network || command_line->network_namespace_path))) {
                into->private_network = n->private_network > 0 || n->veth > 0 || n->bridge || n->zone ||
                                        n->veth_extra || n->interfaces || n->macvlan || n->ipvlan;
                into->network_veth = n->veth > 0;
                replace_string(&into->network_bridge, &n->bridge);
                replace_string(&into->network_zone, &n->zone);
                free(into->network_namespace_path);
                into->network_namespace_path = NULL;
                replace_strv(&into->network_veth_extra, &n->veth_extra);
                replace_strv(&into->network_interfaces, &n->interfaces);
                replace_strv(&into->network_macvlan, &n->macvlan);
                replace_strv(&into->network_ipvlan, &n->ipvlan);
        }
        for (size_t i = 0; i < n->n_ports; i++) {
                ssize_t k = port_index(into->ports, into->n_ports, &n->ports[i]);

                if (command_line && port_index(command_line->ports, command_line->n_ports, &n->ports[i]) >= 0)
                        continue;
                if (k >= 0) {
                        into->ports[k] = n->ports[i];
                        continue;
                }
                r = append_port(&into->ports, &into->n_ports, &n->ports[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_bootstrap(struct parse_state *p, const char *key, const char *value)
{
        struct bootstrap_settings *b = p->bootstrap;

        if (!strcmp(key, "Distribution"))
                return b ? set_string(&b->distribution, value) : 0;
        if (!strcmp(key, "Release"))
                return b ? set_string(&b->release, value) : 0;
        if (!strcmp(key, "Include"))
                return b ? set_string(&b->include, value) : 0;
        if (!strcmp(key, "Mirror"))
                return b ? set_string(&b->mirror, value) : 0;
        return -ENOKEY;
}

static int parse_key(struct parse_state *p, const char *section, const char *key, const char *value);

/* libinih goes on after an error and reports the first one's line: so is its message kept. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
        struct parse_state *p = user;
        char first_error[sizeof(p->error)];
        int r;

        memcpy(first_error, p->error, sizeof(first_error));
        p->error[0] = '\0';
        r = parse_key(p, section, key, value);
        if (first_error[0])
                memcpy(p->error, first_error, sizeof(first_error));
        else if (r == 0 && p->error[0])
                p->error_line = p->reader->number;
        return r;
}

static int parse_key(struct parse_state *p, const char *section, const char *key, const char *value)
{
        int r;

        if (!p->trusted && key_grants(section, key, value)) {
                log_info("Ignoring %s= in [%s]: a settings file next to the tree may not grant it (use --settings=trusted, or "
                         "put the file in /etc/machined-lite/machines/)",
                         key, section);
                return 1;
        }
        if (!strcmp(section, "Exec"))
                r = parse_exec(p, key, value);
        else if (!strcmp(section, "Files"))
                r = parse_files(p, key, value);
        else if (!strcmp(section, "Network"))
                r = parse_network(p, key, value);
        else if (!strcmp(section, "Bootstrap"))
                r = parse_bootstrap(p, key, value);
        else {
                snprintf(p->error, sizeof(p->error),
                         "%s= in an unknown section [%s] (machined-lite knows [Exec], [Files], [Network] and [Bootstrap])",
                         key, section);
                return 0;
        }
        if (r == -ENOKEY)
                snprintf(p->error, sizeof(p->error), "unknown key %s= in [%s]", key, section);
        else if (r < 0 && !p->error[0])
                snprintf(p->error, sizeof(p->error), "bad value for %s=: '%s'", key, value);
        return r >= 0;
}

static void parse_state_done(struct parse_state *p)
{
        network_settings_done(&p->network);
}

/* F into M, under the options of COMMAND_LINE where they win (NULL: the file wins). */
static int parse_settings(FILE *f, const char *path, bool trusted, const struct machine *command_line,
                          struct machine *m, struct bootstrap_settings *bootstrap)
{
        struct line_reader reader = { .f = f };
        _cleanup_(parse_state_done) struct parse_state p = {
                .m = m,
                .trusted = trusted,
                .reader = &reader,
                .bootstrap = bootstrap,
                .network = { .private_network = -1, .veth = -1 },
        };
        int r = libinih_load(), line;

        if (r < 0)
                return log_error_errno(r, "Cannot load libinih.so.1 to read %s: %m (install libinih1)", path);
        line = libinih.parse_stream(read_line, &reader, on_key, &p);
        free(reader.line);
        if (line < 0 || ferror(f))
                return log_error_errno(-EIO, "Cannot read settings file %s", path);
        /* An error before the long line is the first one; the long line ended the reading. */
        if (reader.too_long > 0 && line == 0)
                return log_error_errno(-EINVAL,
                                       "%s:%d: the line is %zu characters long, more than the %d libinih reads: "
                                       "shorten it (a key such as Bind= may be repeated instead)",
                                       path, reader.number, reader.too_long, reader.limit);
        if (line == 0) {
                r = network_settings_apply(&p.network, command_line, m);
                return r < 0 ? log_error_errno(r, "Cannot take in the [Network] of %s: %m", path) : 0;
        }
        /* No message for this line: libinih found no Key=Value or [Section] in it. */
        if (p.error_line != line)
                snprintf(p.error, sizeof(p.error), "not a line of INI (a [Section] or a Key=Value)");
        return log_error_errno(-EINVAL, "%s:%d: %s", path, line, p.error);
}

int settings_parse_file(FILE *f, const char *path, bool trusted, struct machine *m, struct bootstrap_settings *bootstrap)
{
        return parse_settings(f, path, trusted, NULL, m, bootstrap);
}

int settings_find(const struct machine *m, char **ret_path, bool *ret_trusted)
{
        static const char *const trusted_dirs[] = { SETTINGS_ETC_DIR, SETTINGS_RUN_DIR };
        /* The systemd-nspawn command line reads NAME.nspawn where nspawn looks for it. */
        static const char *const nspawn_dirs[] = { "/etc/systemd/nspawn", "/run/systemd/nspawn" };
        const char *const *dirs = m->nspawn ? nspawn_dirs : trusted_dirs;
        const char *extension = m->nspawn ? "nspawn" : "machine";
        _cleanup_free_ char *name = NULL, *beside = NULL;
        const char *tree = m->image ?: m->root;

        *ret_path = NULL;
        if (m->name)
                name = strdup(m->name);
        else if (tree) {
                name = path_last_component(tree);
                if (name && m->image) {
                        char *suffix = strrchr(name, '.');

                        if (suffix && suffix != name && !strcmp(suffix, ".raw"))
                                *suffix = '\0';
                }
        }
        if (!name)
                return m->name || tree ? -ENOMEM : 0;
        for (size_t i = 0; i < ELEMENTSOF(trusted_dirs); i++) {
                char *path;

                if (asprintf(&path, "%s/%s.%s", dirs[i], name, extension) < 0)
                        return -ENOMEM;
                if (access(path, F_OK) >= 0) {
                        *ret_path = path;
                        *ret_trusted = true;
                        return 1;
                }
                free(path);
        }
        /* Next to the tree or image: DIR.machine, or MACHINES_DIR/NAME.machine (.nspawn). */
        if (tree) {
                _cleanup_free_ char *base = strdup(tree);
                size_t n = base ? strlen(base) : 0;

                if (!base)
                        return -ENOMEM;
                while (n > 1 && base[n - 1] == '/')
                        base[--n] = '\0';
                if (m->image && n > 4 && !strcmp(base + n - 4, ".raw"))
                        base[n - 4] = '\0';
                if (asprintf(&beside, "%s.%s", base, extension) < 0)
                        return -ENOMEM;
        } else if (asprintf(&beside, "%s/%s.%s", MACHINES_DIR, name, extension) < 0)
                return -ENOMEM;
        if (access(beside, F_OK) >= 0) {
                *ret_path = TAKE_PTR(beside);
                *ret_trusted = false;
                return 1;
        }
        return 0;
}

int settings_load(const struct machine *m, struct machine *ret)
{
        _cleanup_free_ char *path = NULL;
        bool trusted = false;
        FILE *f;
        int r;

        if (m->settings_mode == SETTINGS_NO)
                return 0;
        r = settings_find(m, &path, &trusted);
        if (r <= 0)
                return r < 0 ? log_error_errno(r, "Cannot look for the machine's settings file: %m") : 0;
        f = fopen(path, "re");
        if (!f)
                return log_error_errno(-errno, "Cannot open settings file %s: %m", path);
        r = parse_settings(f, path, trusted || m->settings_mode == SETTINGS_TRUSTED,
                           m->settings_mode == SETTINGS_OVERRIDE ? NULL : m, ret, NULL);
        fclose(f);
        return r < 0 ? r : 1;
}

void bootstrap_settings_done(struct bootstrap_settings *b)
{
        free(b->distribution);
        free(b->release);
        free(b->include);
        free(b->mirror);
        *b = (struct bootstrap_settings){};
}

int bootstrap_settings_load(const char *name, struct bootstrap_settings *ret)
{
        struct machine m = MACHINE_INIT;
        _cleanup_free_ char *path = NULL;
        bool trusted = false;
        FILE *f;
        int r;

        m.name = strdup(name);
        if (!m.name)
                return -ENOMEM;
        r = settings_find(&m, &path, &trusted);
        if (r > 0) {
                f = fopen(path, "re");
                if (!f)
                        r = log_error_errno(-errno, "Cannot open settings file %s: %m", path);
                else {
                        r = settings_parse_file(f, path, trusted, &m, ret);
                        fclose(f);
                }
        }
        machine_done(&m);
        return r < 0 ? r : 0;
}
