/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libarchive's functions that import-tar calls, looked up when it first needs them
 * (libarchive.h). Not what it does with them (import-tar.c). */
#include "tree/libarchive.h"
#include "util/dl.h"
#include "util/macro.h"

struct libarchive_symbols libarchive;

int libarchive_load(void)
{
        const struct dl_symbol symbols[] = {
                { "archive_read_new", (void **)&libarchive.read_new },
                { "archive_read_support_filter_bzip2", (void **)&libarchive.support_filter_bzip2 },
                { "archive_read_support_filter_gzip", (void **)&libarchive.support_filter_gzip },
                { "archive_read_support_filter_lz4", (void **)&libarchive.support_filter_lz4 },
                { "archive_read_support_filter_xz", (void **)&libarchive.support_filter_xz },
                { "archive_read_support_filter_zstd", (void **)&libarchive.support_filter_zstd },
                { "archive_read_support_format_tar", (void **)&libarchive.support_format_tar },
                { "archive_read_open", (void **)&libarchive.read_open },
                { "archive_read_next_header", (void **)&libarchive.read_next_header },
                { "archive_read_data_block", (void **)&libarchive.read_data_block },
                { "archive_read_free", (void **)&libarchive.read_free },
                { "archive_filter_bytes", (void **)&libarchive.filter_bytes },
                { "archive_error_string", (void **)&libarchive.error_string },
                { "archive_errno", (void **)&libarchive.error_number },
                { "archive_set_error", (void **)&libarchive.set_error },
                { "archive_write_disk_new", (void **)&libarchive.write_disk_new },
                { "archive_write_disk_set_options", (void **)&libarchive.write_disk_set_options },
                { "archive_write_header", (void **)&libarchive.write_header },
                { "archive_write_data_block", (void **)&libarchive.write_data_block },
                { "archive_write_finish_entry", (void **)&libarchive.write_finish_entry },
                { "archive_write_close", (void **)&libarchive.write_close },
                { "archive_write_free", (void **)&libarchive.write_free },
                { "archive_entry_pathname", (void **)&libarchive.entry_pathname },
                { "archive_entry_hardlink", (void **)&libarchive.entry_hardlink },
                { "archive_entry_filetype", (void **)&libarchive.entry_filetype },
                { "archive_entry_atime", (void **)&libarchive.entry_atime },
                { "archive_entry_atime_nsec", (void **)&libarchive.entry_atime_nsec },
                { "archive_entry_atime_is_set", (void **)&libarchive.entry_atime_is_set },
                { "archive_entry_mtime", (void **)&libarchive.entry_mtime },
                { "archive_entry_mtime_nsec", (void **)&libarchive.entry_mtime_nsec },
                { "archive_entry_mtime_is_set", (void **)&libarchive.entry_mtime_is_set },
        };
        int r;

        if (libarchive.handle)
                return 0;
        libarchive.handle = dl_open("libarchive.so.13", symbols, ELEMENTSOF(symbols), &r);
        return r;
}
