/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <archive.h>
#include <archive_entry.h>

/* libarchive, dlopen()ed for import-tar only (see util/dl.h): the functions it calls,
 * each the library's of the same name without "archive_". */
struct libarchive_symbols {
        void *handle;
        __typeof__(archive_read_new) *read_new;
        __typeof__(archive_read_support_filter_bzip2) *support_filter_bzip2;
        __typeof__(archive_read_support_filter_gzip) *support_filter_gzip;
        __typeof__(archive_read_support_filter_lz4) *support_filter_lz4;
        __typeof__(archive_read_support_filter_xz) *support_filter_xz;
        __typeof__(archive_read_support_filter_zstd) *support_filter_zstd;
        __typeof__(archive_read_support_format_tar) *support_format_tar;
        __typeof__(archive_read_open) *read_open;
        __typeof__(archive_read_next_header) *read_next_header;
        __typeof__(archive_read_data_block) *read_data_block;
        __typeof__(archive_read_free) *read_free;
        __typeof__(archive_filter_bytes) *filter_bytes;
        __typeof__(archive_error_string) *error_string;
        __typeof__(archive_errno) *error_number;
        __typeof__(archive_set_error) *set_error;
        __typeof__(archive_write_disk_new) *write_disk_new;
        __typeof__(archive_write_disk_set_options) *write_disk_set_options;
        __typeof__(archive_write_header) *write_header;
        __typeof__(archive_write_data_block) *write_data_block;
        __typeof__(archive_write_finish_entry) *write_finish_entry;
        __typeof__(archive_write_close) *write_close;
        __typeof__(archive_write_free) *write_free;
        __typeof__(archive_entry_pathname) *entry_pathname;
        __typeof__(archive_entry_hardlink) *entry_hardlink;
        __typeof__(archive_entry_filetype) *entry_filetype;
        __typeof__(archive_entry_atime) *entry_atime;
        __typeof__(archive_entry_atime_nsec) *entry_atime_nsec;
        __typeof__(archive_entry_atime_is_set) *entry_atime_is_set;
        __typeof__(archive_entry_mtime) *entry_mtime;
        __typeof__(archive_entry_mtime_nsec) *entry_mtime_nsec;
        __typeof__(archive_entry_mtime_is_set) *entry_mtime_is_set;
};

extern struct libarchive_symbols libarchive;

/* Loads libarchive.so.13 into LIBARCHIVE, once: 0 or -errno. */
int libarchive_load(void);
