/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/macro.h"
#include "util/mountinfo.h"
#include "util/path.h"
#include "util/strv.h"

static void test_machine_names(void)
{
        CHECK(machine_name_is_valid("debian"));
        CHECK(machine_name_is_valid("web-1.lab_2"));
        CHECK(machine_name_is_valid("a"));
        CHECK(!machine_name_is_valid(""));
        CHECK(!machine_name_is_valid(NULL));
        CHECK(!machine_name_is_valid(".hidden"));
        CHECK(!machine_name_is_valid("-x"));
        CHECK(!machine_name_is_valid("a..b"));
        CHECK(!machine_name_is_valid("a/b"));
        CHECK(!machine_name_is_valid("my tree"));
        CHECK(!machine_name_is_valid("x12345678901234567890123456789012345678901234567890123456789012345"));
        CHECK(machine_name_is_valid("x123456789012345678901234567890123456789012345678901234567890123"));
}

static void test_last_component(void)
{
        char *s;

        s = path_last_component("/var/lib/machines/debian");
        CHECK(s && strcmp(s, "debian") == 0);
        free(s);
        s = path_last_component("/srv/tree///");
        CHECK(s && strcmp(s, "tree") == 0);
        free(s);
        s = path_last_component("tree");
        CHECK(s && strcmp(s, "tree") == 0);
        free(s);
        CHECK(path_last_component("/") == NULL);
        CHECK(path_last_component("") == NULL);
}

/* A tree with links that point out of it: resolution must stay inside. */
static void test_open_in_root(void)
{
        char tree[] = "/tmp/test-path-XXXXXX", host_file[PATH_MAX], link[PATH_MAX];
        int root_fd, fd;
        struct stat st_in, st_fd;

        CHECK(mkdtemp(tree) != NULL);
        snprintf(host_file, sizeof(host_file), "%s/etc", tree);
        CHECK(mkdir(host_file, 0755) == 0);
        snprintf(host_file, sizeof(host_file), "%s/etc/shadow", tree);
        close(open(host_file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        snprintf(link, sizeof(link), "%s/etc/resolv.conf", tree);
        CHECK(symlink("/../../../etc/shadow", link) == 0);
        snprintf(link, sizeof(link), "%s/run", tree);
        CHECK(symlink("/", link) == 0);

        root_fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(root_fd >= 0);

        /* The escaping link lands on the tree's own /etc/shadow, not the host's. */
        fd = open_in_root(root_fd, "/etc/resolv.conf", O_PATH, 0);
        CHECK(fd >= 0);
        CHECK(stat(host_file, &st_in) == 0 && fstat(fd, &st_fd) == 0 && st_in.st_ino == st_fd.st_ino);
        close(fd);

        /* /run -> / is the tree's root. */
        fd = mkdir_p_in_root(root_fd, "/run/host", 0755);
        CHECK(fd >= 0);
        close(fd);
        snprintf(link, sizeof(link), "%s/host", tree);
        CHECK(stat(link, &st_in) == 0 && S_ISDIR(st_in.st_mode));
        CHECK(access("/host", F_OK) != 0);

        fd = mkdir_p_in_root(root_fd, "/a/b/c", 0755);
        CHECK(fd >= 0);
        close(fd);
        snprintf(link, sizeof(link), "%s/a/b/c", tree);
        CHECK(stat(link, &st_in) == 0 && S_ISDIR(st_in.st_mode));
        CHECK(open_in_root(root_fd, "/missing", O_PATH, 0) == -ENOENT);

        /* A mount point that leads back to the root would cover the whole tree. */
        CHECK(mount_point_in_root(root_fd, "/run", 0755) == -ELOOP);
        fd = mount_point_in_root(root_fd, "/run/host", 0755);
        CHECK(fd >= 0);
        close(fd);

        close(root_fd);
        snprintf(link, sizeof(link), "rm -rf '%s'", tree);
        CHECK(system(link) == 0);
}

static void test_strv(void)
{
        char **l = NULL;

        CHECK(strv_env_set(&l, "A=1") == 0);
        CHECK(strv_env_set(&l, "B=2") == 0);
        CHECK(strv_env_set(&l, "A=3") == 0);
        CHECK(strv_length(l) == 2);
        CHECK(strcmp(l[0], "A=3") == 0 && strcmp(l[1], "B=2") == 0);
        CHECK(strv_env_set(&l, "=x") == -EINVAL);
        CHECK(strv_env_set(&l, "novalue") == -EINVAL);
        strv_free(l);
}

static void test_mountinfo(void)
{
        static const char *const preferred[] = { "/nowhere", "/proc", NULL };
        char *found = NULL;

        /* libmount reads this process's own mount table: /proc is always there. */
        CHECK(mountinfo_find("proc", preferred, &found) == 0);
        CHECK(found && strcmp(found, "/proc") == 0);
        free(found);
        found = NULL;
        CHECK(mountinfo_find("no-such-filesystem-type", preferred, &found) == -ENOMEDIUM);
        CHECK(found == NULL);
}

int main(void)
{
        test_mountinfo();
        test_machine_names();
        test_last_component();
        test_open_in_root();
        test_strv();
        return TEST_DONE();
}
