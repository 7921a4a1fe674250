/* Registry requests: ping, the auth challenge (Basic, Bearer tokens), manifests into memory. */
#include "image/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX (1u << 20)
#define ERROR_BODY_MAX 65536

void
http_resp_free(struct http_resp *r)
{
    free(r->body);
    free(r->ctype);
    free(r->digest);
    free(r->www_auth);
    *r = (struct http_resp){0};
}

/* Reads the CA certificates (*.crt) and a client certificate (*.cert, *.key) of dir. */
static void
load_cert_dir(struct registry *r, const char *dir)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
        if (kpod_str_has_suffix(de->d_name, ".cert")) {
            free(r->client_cert);
            r->client_cert = TAKE_PTR(p);
        } else if (kpod_str_has_suffix(de->d_name, ".key")) {
            free(r->client_key);
            r->client_key = TAKE_PTR(p);
        } else if (kpod_str_has_suffix(de->d_name, ".crt")) {
            _cleanup_free_ char *pem = NULL;
            size_t n = 0;
            _cleanup_err_ struct kpod_err *e = NULL;
            if (kpod_fs_read_file(p, 1 << 20, &pem, &n, &e) < 0) {
                kpod_warn("cert dir: %s", e->msg);
                continue;
            }
            r->ca_pem = xrealloc(r->ca_pem, r->ca_len + n + 2);
            memcpy(r->ca_pem + r->ca_len, pem, n);
            r->ca_len += n;
            r->ca_pem[r->ca_len++] = '\n';
        }
    }
}

struct registry *
registry_new(const char *name, const char *host, const char *repo, bool tls_verify,
             const char *cert_dir)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    struct registry *r = xzalloc(sizeof(*r));
    r->name = xstrdup(name);
    r->host = xstrdup(strcmp(host, "docker.io") == 0 ? "registry-1.docker.io" : host);
    r->repo = xstrdup(repo);
    r->tls_verify = tls_verify;
    r->cert_dir = cert_dir ? xstrdup(cert_dir) : xasprintf("/etc/containers/certs.d/%s", host);
    load_cert_dir(r, r->cert_dir);
    r->retries = 3;
    r->retry_delay_ms = 1000;
    r->parallel = 4;
    return r;
}

void
registry_free(struct registry *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->host);
    free(r->repo);
    free(r->scheme);
    free(r->cert_dir);
    free(r->ca_pem);
    free(r->client_cert);
    free(r->client_key);
    free(r->user);
    if (r->pass != NULL)
        explicit_bzero(r->pass, strlen(r->pass));
    free(r->pass);
    free(r->auth);
    free(r->challenge);
    free(r);
}

static size_t
on_header(char *buf, size_t size, size_t n, void *data)
{
    struct http_resp *resp = data;
    size_t len = size * n;
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100): forget the previous headers. */
        free(resp->ctype);
        free(resp->digest);
        free(resp->www_auth);
        resp->ctype = resp->digest = resp->www_auth = NULL;
        return len;
    }
    const char *colon = memchr(buf, ':', len);
    if (colon == NULL)
        return len;
    size_t klen = (size_t)(colon - buf);
    const char *v = colon + 1;
    while (v < buf + len && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t)(buf + len - v);
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    char **dst = NULL;
    if (klen == 12 && strncasecmp(buf, "content-type", 12) == 0)
        dst = &resp->ctype;
    else if (klen == 21 && strncasecmp(buf, "docker-content-digest", 21) == 0)
        dst = &resp->digest;
    else if (klen == 16 && strncasecmp(buf, "www-authenticate", 16) == 0)
        dst = &resp->www_auth;
    if (dst != NULL) {
        free(*dst);
        *dst = xstrndup(v, vlen);
    }
    return len;
}

static size_t
on_body(char *buf, size_t size, size_t n, void *data)
{
    struct http_resp *resp = data;
    size_t len = size * n;
    if (resp->len + len > resp->max) {
        resp->too_large = true;
        return 0;
    }
    resp->body = xrealloc(resp->body, resp->len + len + 1);
    memcpy(resp->body + resp->len, buf, len);
    resp->len += len;
    resp->body[resp->len] = '\0';
    return len;
}

/* Options every request of this registry shares. */
void registry_setup_handle(struct registry *r, CURL *h);
void
registry_setup_handle(struct registry *r, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kpod/" KPOD_VERSION);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, r->tls_verify ? "https" : "http,https");
    if (!r->tls_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->ca_pem != NULL) {
        struct curl_blob blob = {.data = r->ca_pem, .len = r->ca_len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (r->client_cert != NULL && r->client_key != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, r->client_cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, r->client_key);
    }
}

/* One GET into memory. Returns 0 with resp filled (any status), -1 on transport errors. */
static int
http_get(struct registry *r, const char *url, const char *accept, const char *auth, size_t max,
         struct http_resp *resp, struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_curl_easy_cleanup) CURL *h = curl_easy_init();
    _cleanup_(kpod_cleanup_curl_slist_free_all) struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    if (h == NULL)
        return kpod_err_msg(err, "curl_easy_init failed");
    registry_setup_handle(r, h);
    if (accept != NULL) {
        _cleanup_free_ char *a = xasprintf("Accept: %s", accept);
        hdrs = curl_slist_append(hdrs, a);
    }
    if (auth != NULL)
        hdrs = curl_slist_append(hdrs, auth);
    *resp = (struct http_resp){.max = max};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode c = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->code);
    if (c == CURLE_WRITE_ERROR && resp->too_large)
        return kpod_err_input(err, "GET %s: response larger than %zu bytes", url, max);
    if (c != CURLE_OK)
        return kpod_err_msg(err, "GET %s: %s", url, *errbuf ? errbuf : curl_easy_strerror(c));
    return 0;
}

char *
registry_error_text(const struct http_resp *resp)
{
    _cleanup_err_ struct kpod_err *e = NULL;
    if (resp->body != NULL && resp->len > 0) {
        _cleanup_json_ json_t *j = kpod_json_loadb(resp->body, resp->len, "error", &e);
        json_t *first = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = kpod_json_str(first, "code");
        const char *msg = kpod_json_str(first, "message");
        if (msg != NULL)
            return code ? xasprintf("%s: %s", code, msg) : xstrdup(msg);
    }
    const char *reason = resp->code == 401   ? "Unauthorized"
                         : resp->code == 403 ? "Forbidden"
                         : resp->code == 404 ? "Not Found"
                         : resp->code == 429 ? "Too Many Requests"
                         : resp->code >= 500 ? "Server Error"
                                             : "unexpected status";
    return xasprintf("%s", reason);
}

int
registry_ping(struct registry *r, struct kpod_err **err)
{
    const char *schemes[] = {"https", "http"};
    _cleanup_err_ struct kpod_err *first = NULL;
    for (size_t i = 0; i < (r->tls_verify ? 1u : 2u); i++) {
        _cleanup_free_ char *url = xasprintf("%s://%s/v2/", schemes[i], r->host);
        struct http_resp resp;
        _cleanup_err_ struct kpod_err *e = NULL;
        if (http_get(r, url, NULL, NULL, ERROR_BODY_MAX, &resp, &e) < 0) {
            http_resp_free(&resp);
            if (first == NULL)
                kpod_err_move(&first, &e);
            continue;
        }
        free(r->scheme);
        r->scheme = xstrdup(schemes[i]);
        if (resp.code == 401 && resp.www_auth != NULL) {
            free(r->challenge);
            r->challenge = TAKE_PTR(resp.www_auth);
        }
        long code = resp.code;
        http_resp_free(&resp);
        if (code != 200 && code != 401)
            return kpod_err_msg(err, "ping registry '%s': HTTP %ld from %s", r->name, code, url);
        return 0;
    }
    kpod_err_move(err, &first);
    return kpod_err_prefix(err, "ping registry '%s'", r->name);
}

/* Value of key="value" (or key=value) in a challenge's parameters. */
static char *
challenge_param(const char *ch, const char *key)
{
    size_t klen = strlen(key);
    const char *p = ch;
    while ((p = strcasestr(p, key)) != NULL) {
        bool at_start = p == ch || p[-1] == ' ' || p[-1] == ',';
        if (!at_start || p[klen] != '=') {
            p += klen;
            continue;
        }
        p += klen + 1;
        if (*p == '"') {
            const char *end = strchr(p + 1, '"');
            return end ? xstrndup(p + 1, (size_t)(end - p - 1)) : NULL;
        }
        size_t n = strcspn(p, ", ");
        return xstrndup(p, n);
    }
    return NULL;
}

static int
bearer_token(struct registry *r, const char *challenge, struct kpod_err **err)
{
    _cleanup_free_ char *realm = challenge_param(challenge, "realm");
    _cleanup_free_ char *service = challenge_param(challenge, "service");
    if (realm == NULL || !(kpod_str_has_prefix(realm, "https://") ||
                           (!r->tls_verify && kpod_str_has_prefix(realm, "http://"))))
        return kpod_err_msg(err, "authenticate to '%s': bad Bearer realm '%s'", r->name,
                            realm ? realm : "");
    _cleanup_(kpod_cleanup_curl_easy_cleanup) CURL *esc = curl_easy_init();
    _cleanup_free_ char *scope = xasprintf("repository:%s:pull", r->repo);
    char *s_scope = curl_easy_escape(esc, scope, 0);
    char *s_service = service ? curl_easy_escape(esc, service, 0) : NULL;
    _cleanup_free_ char *url =
        xasprintf("%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", s_scope,
                  s_service ? "&service=" : "", s_service ? s_service : "");
    curl_free(s_scope);
    curl_free(s_service);
    _cleanup_free_ char *basic = NULL;
    if (r->user != NULL) {
        _cleanup_free_ char *up = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
        _cleanup_free_ char *b64 = kpod_image_base64(up);
        basic = xasprintf("Authorization: Basic %s", b64);
    }
    struct http_resp resp;
    if (http_get(r, url, NULL, basic, TOKEN_MAX, &resp, err) < 0) {
        http_resp_free(&resp);
        return kpod_err_prefix(err, "get token");
    }
    if (resp.code == 401 || resp.code == 403) {
        http_resp_free(&resp);
        return kpod_err_msg(err, "authenticate to '%s': %s", r->name,
                            r->user ? "invalid username or password"
                                    : "authentication required: use 'kpod login' or --creds");
    }
    if (resp.code != 200) {
        _cleanup_free_ char *t = registry_error_text(&resp);
        long code = resp.code;
        http_resp_free(&resp);
        return kpod_err_msg(err, "get token from '%s': HTTP %ld: %s", realm, code, t);
    }
    _cleanup_json_ json_t *j = kpod_json_loadb(resp.body, resp.len, "token response", err);
    http_resp_free(&resp);
    const char *tok = kpod_json_str(j, "token");
    if (tok == NULL)
        tok = kpod_json_str(j, "access_token");
    if (tok == NULL)
        return kpod_err_msg(err, "token response from '%s' has no token", realm);
    free(r->auth);
    r->auth = xasprintf("Authorization: Bearer %s", tok);
    return 0;
}

static int
authenticate(struct registry *r, const char *challenge, struct kpod_err **err)
{
    if (strncasecmp(challenge, "Bearer ", 7) == 0)
        return bearer_token(r, challenge, err);
    if (strncasecmp(challenge, "Basic", 5) == 0) {
        if (r->user == NULL)
            return kpod_err_msg(err,
                                "authenticate to '%s': authentication required: use "
                                "'kpod login' or --creds",
                                r->name);
        _cleanup_free_ char *up = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
        _cleanup_free_ char *b64 = kpod_image_base64(up);
        free(r->auth);
        r->auth = xasprintf("Authorization: Basic %s", b64);
        return 0;
    }
    return kpod_err_msg(err, "authenticate to '%s': unsupported challenge '%.40s'", r->name,
                        challenge);
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

int
registry_get(struct registry *r, const char *kind, const char *ref, const char *accept, size_t max,
             struct http_resp *ret, struct kpod_err **err)
{
    _cleanup_free_ char *url =
        xasprintf("%s://%s/v2/%s/%s/%s", r->scheme, r->host, r->repo, kind, ref);
    if (r->auth == NULL && r->challenge != NULL && authenticate(r, r->challenge, err) < 0)
        return -1;
    bool reauthed = false;
    int delay = r->retry_delay_ms;
    for (int attempt = 0;; attempt++) {
        struct http_resp resp;
        _cleanup_err_ struct kpod_err *e = NULL;
        int rc = http_get(r, url, accept, r->auth, max, &resp, &e);
        bool transient = rc < 0 ? !resp.too_large : (resp.code >= 500 || resp.code == 429);
        if (transient && attempt < r->retries) {
            kpod_debug("GET %s failed (%s), retrying in %d ms", url, e ? e->msg : "server error",
                       delay);
            http_resp_free(&resp);
            sleep_ms(delay);
            delay *= 2;
            continue;
        }
        if (rc < 0) {
            http_resp_free(&resp);
            kpod_err_move(err, &e);
            return -1;
        }
        if (resp.code == 401 && !reauthed && resp.www_auth != NULL) {
            reauthed = true;
            _cleanup_free_ char *ch = xstrdup(resp.www_auth);
            http_resp_free(&resp);
            if (authenticate(r, ch, err) < 0)
                return -1;
            continue;
        }
        if (resp.code == 200) {
            *ret = resp;
            return 0;
        }
        _cleanup_free_ char *t = registry_error_text(&resp);
        long code = resp.code;
        http_resp_free(&resp);
        if (code == 401)
            return kpod_err_msg(err, "HTTP 401: %s",
                                r->user ? "invalid username or password"
                                        : "authentication required: use 'kpod login' or --creds");
        int kind_err = code == 404 ? KPOD_ERR_NOTFOUND : KPOD_ERR_INTERNAL;
        return kpod_err_set(err, kind_err, 0, "HTTP %ld: %s", code, t);
    }
}

/* With credentials set: answers the ping's challenge and GETs /v2/ again. */
int registry_check_auth(struct registry *r, struct kpod_err **err);
int
registry_check_auth(struct registry *r, struct kpod_err **err)
{
    if (r->challenge == NULL)
        return 0; /* the registry wants no credentials */
    if (strncasecmp(r->challenge, "Bearer ", 7) == 0) {
        /* The token endpoint checks the credentials; no repository scope is needed. */
        _cleanup_free_ char *realm = challenge_param(r->challenge, "realm");
        _cleanup_free_ char *service = challenge_param(r->challenge, "service");
        if (realm == NULL)
            return kpod_err_msg(err, "authenticate to '%s': no realm in the challenge", r->name);
        _cleanup_(kpod_cleanup_curl_easy_cleanup) CURL *esc = curl_easy_init();
        char *s_service = service ? curl_easy_escape(esc, service, 0) : NULL;
        _cleanup_free_ char *url = xasprintf("%s%s%s%s", realm, s_service ? "?service=" : "",
                                             s_service ? s_service : "", "");
        curl_free(s_service);
        _cleanup_free_ char *up = xasprintf("%s:%s", r->user, r->pass ? r->pass : "");
        _cleanup_free_ char *b64 = kpod_image_base64(up);
        _cleanup_free_ char *basic = xasprintf("Authorization: Basic %s", b64);
        struct http_resp resp;
        if (http_get(r, url, NULL, basic, TOKEN_MAX, &resp, err) < 0) {
            http_resp_free(&resp);
            return -1;
        }
        long code = resp.code;
        http_resp_free(&resp);
        if (code == 401 || code == 403)
            return kpod_err_input(err, "invalid username or password");
        if (code != 200)
            return kpod_err_msg(err, "token endpoint '%s': HTTP %ld", realm, code);
        return 0;
    }
    if (authenticate(r, r->challenge, err) < 0)
        return -1;
    _cleanup_free_ char *url = xasprintf("%s://%s/v2/", r->scheme, r->host);
    struct http_resp resp;
    if (http_get(r, url, NULL, r->auth, ERROR_BODY_MAX, &resp, err) < 0) {
        http_resp_free(&resp);
        return -1;
    }
    long code = resp.code;
    http_resp_free(&resp);
    if (code == 401 || code == 403)
        return kpod_err_input(err, "invalid username or password");
    if (code != 200)
        return kpod_err_msg(err, "HTTP %ld from %s", code, url);
    return 0;
}
