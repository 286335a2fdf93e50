/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/property.h"
#include "util/libsystemd.h"

/* systemd's introspection data of a scope object (init.scope), which gives each property's
 * D-Bus type; NULL when systemd does not answer (each such property then goes as a string). */
char *unit_property_introspect(sd_bus *bus);

/* Appends P, a PROPERTY_PASSED, as a "(sv)" of the type INTROSPECTION gives its name (or
 * its NAMEUSec for NAMESec). Returns 0, or an error already logged: -EINVAL when its value
 * is not of that type, in one line saying what to give. */
int unit_property_append_passed(sd_bus_message *message, const struct property *p, const char *introspection);
