/* Delay-loading of the heavy libraries. libcurl, libarchive and libnftables pull in about forty
 * shared libraries (TLS, Kerberos, LDAP, ICU, ...) whose loading and relocation cost kpod
 * 20-30 ms at every start — more than `kpod exec` or `kpod stats` may take in all. kpod links
 * none of them: each function it uses is defined here as a stub that opens the library with
 * dlopen on first use, looks the function up once and calls it. Only the commands that pull,
 * load images or set up hostPorts pay for them. The stubs keep the libraries' own prototypes,
 * so the compiler checks every call; the variadic ones pass on their single argument (curl's
 * documented contract: a long, a pointer or a curl_off_t, all passed alike). */
#define CURL_DISABLE_TYPECHECK 1
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct lazylib {
    const char *soname;
    void *handle;
};

static struct lazylib curl_lib = {"libcurl.so.4", NULL};
static struct lazylib archive_lib = {"libarchive.so.13", NULL};
static struct lazylib nft_lib = {"libnftables.so.1", NULL};

static void *
lazy_sym(struct lazylib *lib, const char *name)
{
    void *h = __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE);
    if (h == NULL) {
        h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            fprintf(stderr, "Error: load '%s': %s\n", lib->soname, dlerror());
            exit(125);
        }
        __atomic_store_n(&lib->handle, h, __ATOMIC_RELEASE);
    }
    void *sym = dlsym(h, name);
    if (sym == NULL) {
        fprintf(stderr, "Error: '%s' has no '%s': %s\n", lib->soname, name, dlerror());
        exit(125);
    }
    return sym;
}

/* Declares f, the real function of type fn_t (a typedef in scope), resolved once. */
#define RESOLVE(lib, name)                                                                         \
    static fn_t fn;                                                                                \
    fn_t f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);                                               \
    if (f == NULL) {                                                                               \
        f = (fn_t)lazy_sym(&lib, #name);                                                           \
        __atomic_store_n(&fn, f, __ATOMIC_RELEASE);                                                \
    }

#define STUB(lib, ret, name, params, args)                                                         \
    ret name params                                                                                \
    {                                                                                              \
        typedef ret(*fn_t) params;                                                                 \
        RESOLVE(lib, name)                                                                         \
        return f args;                                                                             \
    }

#define STUB_VOID(lib, name, params, args)                                                         \
    void name params                                                                               \
    {                                                                                              \
        typedef void(*fn_t) params;                                                                \
        RESOLVE(lib, name)                                                                         \
        f args;                                                                                    \
    }

/* ---- libcurl ---- */
STUB(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
STUB(curl_lib, CURL *, curl_easy_init, (void), ())
STUB_VOID(curl_lib, curl_easy_cleanup, (CURL * h), (h))
STUB_VOID(curl_lib, curl_easy_reset, (CURL * h), (h))
STUB(curl_lib, CURLcode, curl_easy_perform, (CURL * h), (h))
STUB(curl_lib, const char *, curl_easy_strerror, (CURLcode c), (c))
STUB(curl_lib, char *, curl_easy_escape, (CURL * h, const char *s, int len), (h, s, len))
STUB_VOID(curl_lib, curl_free, (void *p), (p))
STUB(curl_lib, struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s),
     (l, s))
STUB_VOID(curl_lib, curl_slist_free_all, (struct curl_slist * l), (l))
STUB(curl_lib, curl_version_info_data *, curl_version_info, (CURLversion v), (v))
STUB(curl_lib, CURLM *, curl_multi_init, (void), ())
STUB(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM * m), (m))
STUB(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *h), (m, h))
STUB(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *h), (m, h))
STUB(curl_lib, CURLMcode, curl_multi_perform, (CURLM * m, int *running), (m, running))
STUB(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))
STUB(curl_lib, CURLMcode, curl_multi_poll,
     (CURLM * m, struct curl_waitfd extra[], unsigned int n, int timeout_ms, int *numfds),
     (m, extra, n, timeout_ms, numfds))

CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    typedef CURLcode (*fn_t)(CURL *, CURLoption, ...);
    RESOLVE(curl_lib, curl_easy_setopt)
    va_list ap;
    va_start(ap, opt);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return f(h, opt, arg);
}

CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    typedef CURLcode (*fn_t)(CURL *, CURLINFO, ...);
    RESOLVE(curl_lib, curl_easy_getinfo)
    va_list ap;
    va_start(ap, info);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return f(h, info, arg);
}

/* ---- libarchive ---- */
STUB(archive_lib, struct archive *, archive_read_new, (void), ())
STUB(archive_lib, int, archive_read_free, (struct archive * a), (a))
STUB(archive_lib, int, archive_read_support_filter_all, (struct archive * a), (a))
STUB(archive_lib, int, archive_read_support_format_tar, (struct archive * a), (a))
STUB(archive_lib, int, archive_read_support_format_raw, (struct archive * a), (a))
STUB(archive_lib, int, archive_read_open_fd, (struct archive * a, int fd, size_t block),
     (a, fd, block))
STUB(archive_lib, int, archive_read_open,
     (struct archive * a, void *data, archive_open_callback *o, archive_read_callback *r,
      archive_close_callback *c),
     (a, data, o, r, c))
STUB(archive_lib, int, archive_read_next_header, (struct archive * a, struct archive_entry **e),
     (a, e))
STUB(archive_lib, la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t n),
     (a, buf, n))
STUB(archive_lib, int, archive_read_data_block,
     (struct archive * a, const void **buf, size_t *n, la_int64_t *off), (a, buf, n, off))
STUB(archive_lib, const char *, archive_error_string, (struct archive * a), (a))
STUB(archive_lib, const char *, archive_version_details, (void), ())
STUB(archive_lib, const char *, archive_entry_pathname, (struct archive_entry * e), (e))
STUB(archive_lib, const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
STUB(archive_lib, const char *, archive_entry_symlink, (struct archive_entry * e), (e))
STUB(archive_lib, __LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
STUB(archive_lib, __LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
STUB(archive_lib, la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
STUB(archive_lib, la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
STUB(archive_lib, la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
STUB(archive_lib, time_t, archive_entry_atime, (struct archive_entry * e), (e))
STUB(archive_lib, long, archive_entry_atime_nsec, (struct archive_entry * e), (e))
STUB(archive_lib, int, archive_entry_atime_is_set, (struct archive_entry * e), (e))
STUB(archive_lib, time_t, archive_entry_mtime, (struct archive_entry * e), (e))
STUB(archive_lib, long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
STUB(archive_lib, dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e))
STUB(archive_lib, dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e))
STUB(archive_lib, int, archive_entry_xattr_reset, (struct archive_entry * e), (e))
STUB(archive_lib, int, archive_entry_xattr_next,
     (struct archive_entry * e, const char **name, const void **value, size_t *size),
     (e, name, value, size))

STUB(archive_lib, struct archive *, archive_write_new, (void), ())
STUB(archive_lib, int, archive_write_free, (struct archive * a), (a))
STUB(archive_lib, int, archive_write_close, (struct archive * a), (a))
STUB(archive_lib, int, archive_write_set_format_pax_restricted, (struct archive * a), (a))
STUB(archive_lib, int, archive_write_open_fd, (struct archive * a, int fd), (a, fd))
STUB(archive_lib, int, archive_write_header, (struct archive * a, struct archive_entry *e), (a, e))
STUB(archive_lib, la_ssize_t, archive_write_data, (struct archive * a, const void *buf, size_t n),
     (a, buf, n))
STUB(archive_lib, struct archive_entry *, archive_entry_new, (void), ())
STUB_VOID(archive_lib, archive_entry_free, (struct archive_entry * e), (e))
STUB_VOID(archive_lib, archive_entry_set_pathname, (struct archive_entry * e, const char *p),
          (e, p))
STUB_VOID(archive_lib, archive_entry_set_filetype, (struct archive_entry * e, unsigned int t),
          (e, t))
STUB_VOID(archive_lib, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))
STUB_VOID(archive_lib, archive_entry_set_size, (struct archive_entry * e, la_int64_t n), (e, n))
STUB_VOID(archive_lib, archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns),
          (e, t, ns))

void
archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
    typedef void (*fn_t)(struct archive *, int, const char *, ...);
    RESOLVE(archive_lib, archive_set_error)
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    f(a, err, "%s", buf);
}

/* ---- libnftables ---- */
STUB(nft_lib, struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))
STUB_VOID(nft_lib, nft_ctx_free, (struct nft_ctx * ctx), (ctx))
STUB(nft_lib, int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))
STUB(nft_lib, int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))
STUB(nft_lib, const char *, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))
STUB(nft_lib, const char *, nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx))
STUB(nft_lib, int, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char *buf), (nft, buf))
