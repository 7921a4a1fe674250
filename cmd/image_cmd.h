/* Helpers shared by the image commands (defined in cmd/image.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

struct kpod_ctx;

void image_fmt_size(long long bytes, char *buf, size_t len);
long long image_created_epoch(const char *created);
void image_fmt_age(long long epoch, char *buf, size_t len);
int image_fmt_template(const char *tmpl, json_t *j, FILE *out, struct kpod_err **err);
void image_complete(struct kpod_ctx *ctx, const char *prefix);
