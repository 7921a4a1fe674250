/* A bump allocator owning every string and array of a parsed manifest. */
#include "manifest/internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#define BLOCK_SIZE (64u * 1024u)

struct block {
    struct block *next;
    size_t used, size;
    max_align_t data[];
};

struct kpod_arena {
    struct block *head;
};

struct kpod_arena *
arena_new(void)
{
    return xzalloc(sizeof(struct kpod_arena));
}

void
arena_free(struct kpod_arena *a)
{
    if (a == NULL)
        return;
    for (struct block *b = a->head, *next = NULL; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *
arena_alloc(struct kpod_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n > SIZE_MAX - align)
        abort();
    n = (n + align - 1) & ~(align - 1);
    struct block *b = a->head;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        b = xmalloc(sizeof(*b) + size);
        b->size = size;
        b->used = 0;
        if (n > BLOCK_SIZE / 4 && a->head != NULL) {
            /* big one-off: keep the current block for small allocations */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *
arena_array(struct kpod_arena *a, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        abort();
    return arena_alloc(a, nmemb * size);
}

char *
arena_strndup(struct kpod_arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct kpod_arena *a, const char *s)
{
    return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct kpod_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return arena_strdup(a, s);
}
