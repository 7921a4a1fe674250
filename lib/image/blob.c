/* Parallel blob downloads with curl multi: each blob streams into <tmp>/<hex>.partial while it
 * is hashed; broken transfers resume with Range; the file is renamed into the store only after
 * its size and sha256 match the descriptor. A finished blob's done callback (unpacking a layer)
 * runs in its own thread while the other downloads go on. */
#include "image/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct xfer {
    struct blob_job *job;
    struct registry *reg;
    CURL *h;
    struct curl_slist *hdrs;
    int fd;
    char *part;
    struct kpod_sha256 *hash;
    int64_t got;
    int attempts;
    long long retry_at;
    bool active, finished, first_write;
    bool too_large;
    bool streamed; /* job->stream runs on this transfer's bytes */
    char errbuf[CURL_ERROR_SIZE];
    char body[2048];
    size_t bodylen;
    kpod_pull_progress_fn progress;
    void *pdata;
    int64_t last_report;
    struct follow *fl; /* job->stream follows this download, NULL if not */
    bool ended;        /* follow_end called */
};

struct done_thread {
    pthread_t tid;
    struct blob_job *job;
    struct follow *fl; /* stream: the download followed; NULL: done */
    struct kpod_err *err;
    int rc;
};

void registry_setup_handle(struct registry *r, CURL *h);

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
on_data(char *buf, size_t size, size_t n, void *data)
{
    struct xfer *x = data;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && code != 206) {
        size_t room = sizeof(x->body) - 1 - x->bodylen;
        size_t k = len < room ? len : room;
        memcpy(x->body + x->bodylen, buf, k);
        x->bodylen += k;
        x->body[x->bodylen] = '\0';
        return len;
    }
    if (x->first_write) {
        x->first_write = false;
        if (code == 200 && x->got > 0) {
            /* The server ignored Range: start over. */
            if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
                return 0;
            kpod_sha256_free(x->hash);
            x->hash = kpod_sha256_new();
            x->got = 0;
        }
    }
    if (x->got + (int64_t)len > x->job->size) {
        x->too_large = true;
        return 0;
    }
    if (kpod_fs_write_all(x->fd, buf, len) < 0)
        return 0;
    kpod_sha256_update(x->hash, buf, len);
    x->got += (int64_t)len;
    if (x->fl != NULL)
        follow_notify(x->fl);
    if (x->progress && (x->got - x->last_report >= (1 << 18) || x->got == x->job->size)) {
        x->last_report = x->got;
        x->progress(x->pdata, KPOD_PULL_BLOB_PROGRESS, x->job->digest, x->got, x->job->size);
    }
    return len;
}

/* Opens (or reopens for resuming) the partial file and hashes what it already holds. */
static int
open_partial(struct xfer *x, const char *tmpdir, struct kpod_err **err)
{
    if (x->fd >= 0)
        return 0;
    x->part = xasprintf("%s/%s.partial", tmpdir, x->job->digest + 7);
    x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (x->fd >= 0 && flock(x->fd, LOCK_EX | LOCK_NB) < 0) {
        /* Another kpod is fetching the same blob: fetch our own copy. */
        close(x->fd);
        free(x->part);
        char rnd[17];
        kpod_random_hex(rnd, 8);
        x->part = xasprintf("%s/%s.%s.partial", tmpdir, x->job->digest + 7, rnd);
        x->fd = open(x->part, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (x->fd < 0)
        return kpod_err_sys(err, "create '%s'", x->part);
    x->hash = kpod_sha256_new();
    char buf[65536];
    ssize_t n;
    while ((n = read(x->fd, buf, sizeof(buf))) > 0) {
        kpod_sha256_update(x->hash, buf, (size_t)n);
        x->got += n;
    }
    if (n < 0)
        return kpod_err_sys(err, "read '%s'", x->part);
    /* A partial file as long as the blob (a crash before the rename) is fetched again: a
     * Range past the end would only get a 416. */
    if (x->got >= x->job->size) {
        if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
            return kpod_err_sys(err, "truncate '%s'", x->part);
        kpod_sha256_free(x->hash);
        x->hash = kpod_sha256_new();
        x->got = 0;
    }
    if (x->got > 0)
        kpod_debug("resuming '%s' at %lld bytes", x->job->digest, (long long)x->got);
    return 0;
}

static int
start_xfer(struct xfer *x, CURLM *multi, const char *tmpdir, struct kpod_err **err)
{
    if (open_partial(x, tmpdir, err) < 0)
        return -1;
    if (x->h == NULL)
        x->h = curl_easy_init();
    else
        curl_easy_reset(x->h);
    registry_setup_handle(x->reg, x->h);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    if (x->reg->auth != NULL)
        x->hdrs = curl_slist_append(x->hdrs, x->reg->auth);
    _cleanup_free_ char *url = xasprintf("%s://%s/v2/%s/blobs/%s", x->reg->scheme, x->reg->host,
                                         x->reg->repo, x->job->digest);
    curl_easy_setopt(x->h, CURLOPT_URL, url);
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
    if (x->got > 0) {
        char range[64];
        snprintf(range, sizeof(range), "%lld-", (long long)x->got);
        curl_easy_setopt(x->h, CURLOPT_RANGE, range);
    }
    x->errbuf[0] = '\0';
    x->bodylen = 0;
    x->first_write = true;
    x->active = true;
    if (x->attempts == 0 && x->progress)
        x->progress(x->pdata, KPOD_PULL_BLOB_START, x->job->digest, x->got, x->job->size);
    curl_multi_add_handle(multi, x->h);
    return 0;
}

static void *
run_done(void *data)
{
    struct done_thread *t = data;
    if (t->fl != NULL) {
        t->rc = t->job->stream(t->job->done_data, t->job, t->fl, &t->err);
    } else {
        t->rc = t->job->done(t->job->done_data, t->job, &t->err);
    }
    return NULL;
}

/* Ends the stream of a transfer with its verdict (1 verified, -1 failed). */
static void
end_stream(struct xfer *x, int verdict)
{
    if (x->fl == NULL || x->ended)
        return;
    follow_end(x->fl, verdict);
    x->ended = true;
}

/* Verifies and commits a completed blob; > 0 to retry, 0 done, -1 fatal. */
static int
finish_xfer(struct xfer *x, CURLcode c, struct kpod_err **err)
{
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    const char *d = x->job->digest;
    if (x->too_large) {
        end_stream(x, -1);
        unlink(x->part);
        return kpod_err_input(err, "blob '%s': larger than the %lld bytes in the manifest", d,
                              (long long)x->job->size);
    }
    if (c != CURLE_OK || code >= 500 || code == 429)
        return 1;
    if (code != 200 && code != 206) {
        end_stream(x, -1);
        struct http_resp resp = {.code = code, .body = x->body, .len = x->bodylen};
        _cleanup_free_ char *t = registry_error_text(&resp);
        return kpod_err_set(err, code == 404 ? KPOD_ERR_NOTFOUND : KPOD_ERR_INTERNAL, 0,
                            "fetch blob '%s': HTTP %ld: %s", d, code, t);
    }
    if (x->got < x->job->size)
        return 1; /* truncated: resume */
    char got[KPOD_DIGEST_STR_LEN];
    kpod_sha256_final(x->hash, got);
    kpod_sha256_free(x->hash);
    x->hash = NULL;
    if (strcmp(got, d) != 0) {
        end_stream(x, -1);
        unlink(x->part);
        return kpod_err_input(err, "blob '%s': digest mismatch: got '%s'", d, got);
    }
    if (fsync(x->fd) < 0 || rename(x->part, x->job->dest) < 0) {
        kpod_err_sys(err, "store blob '%s'", d);
        end_stream(x, -1);
        return -1;
    }
    end_stream(x, 1);
    if (x->progress)
        x->progress(x->pdata, KPOD_PULL_BLOB_DONE, d, x->got, x->job->size);
    return 0;
}

static void
xfer_cleanup(struct xfer *x, CURLM *multi)
{
    end_stream(x, -1);
    if (x->h != NULL) {
        if (x->active)
            curl_multi_remove_handle(multi, x->h);
        curl_easy_cleanup(x->h);
    }
    curl_slist_free_all(x->hdrs);
    if (x->fd >= 0)
        close(x->fd);
    kpod_sha256_free(x->hash);
    free(x->part);
}

struct fetch {
    struct registry *r;
    CURLM *multi;
    struct xfer *x;
    size_t n;
    const char *tmpdir;
    struct done_thread *threads;
    size_t nthreads;
};

static int
on_complete(struct fetch *f, struct xfer *x, CURLcode c, struct kpod_err **err)
{
    curl_multi_remove_handle(f->multi, x->h);
    x->active = false;
    int r = finish_xfer(x, c, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (x->attempts >= f->r->retries) {
            end_stream(x, -1);
            if (c != CURLE_OK)
                return kpod_err_msg(err, "fetch blob '%s': %s", x->job->digest,
                                    *x->errbuf ? x->errbuf : curl_easy_strerror(c));
            return kpod_err_msg(err, "fetch blob '%s': %s after %d attempts", x->job->digest,
                                x->got < x->job->size ? "truncated transfer" : "server error",
                                x->attempts + 1);
        }
        long long delay = (long long)f->r->retry_delay_ms << x->attempts;
        x->attempts++;
        x->retry_at = now_ms() + delay;
        kpod_debug("blob '%s': retrying in %lld ms", x->job->digest, delay);
        return 0;
    }
    x->finished = true;
    close(x->fd);
    x->fd = -1;
    if (x->job->done != NULL && !x->streamed) {
        struct done_thread *t = &f->threads[f->nthreads++];
        t->job = x->job;
        t->fl = NULL;
        if (pthread_create(&t->tid, NULL, run_done, t) != 0) {
            f->nthreads--;
            errno = EAGAIN;
            return kpod_err_sys(err, "start unpacking thread");
        }
    }
    return 0;
}

/* Starts the stream thread of a fresh download (not of one resuming an earlier partial
 * file: the stream would miss its first bytes). */
static int
start_stream(struct fetch *f, struct xfer *x, struct kpod_err **err)
{
    if (x->job->stream == NULL || x->streamed || x->attempts > 0 || x->got > 0)
        return 0;
    struct follow *fl = follow_new();
    if (follow_open(fl, x->part, err) < 0) {
        follow_free(fl);
        return -1;
    }
    struct done_thread *t = &f->threads[f->nthreads];
    *t = (struct done_thread){.job = x->job, .fl = fl};
    if (pthread_create(&t->tid, NULL, run_done, t) != 0) {
        follow_free(fl);
        return 0; /* unpack after the download instead */
    }
    f->nthreads++;
    x->fl = fl;
    x->streamed = true;
    return 0;
}

static int
fetch_loop(struct fetch *f, kpod_pull_progress_fn progress, void *pdata, struct kpod_err **err)
{
    for (;;) {
        size_t active = 0, left = 0;
        long long now = now_ms();
        for (size_t i = 0; i < f->n; i++) {
            struct xfer *x = &f->x[i];
            active += x->active;
            left += !x->finished;
        }
        if (left == 0)
            return 0;
        for (size_t i = 0; i < f->n && active < (size_t)f->r->parallel; i++) {
            struct xfer *x = &f->x[i];
            if (x->active || x->finished || x->retry_at > now)
                continue;
            x->progress = progress;
            x->pdata = pdata;
            if (start_xfer(x, f->multi, f->tmpdir, err) < 0 || start_stream(f, x, err) < 0)
                return -1;
            active++;
        }
        int running = 0;
        curl_multi_perform(f->multi, &running);
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(f->multi, &q)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct xfer *x = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            if (on_complete(f, x, m->data.result, err) < 0)
                return -1;
        }
        curl_multi_poll(f->multi, NULL, 0, 100, NULL);
    }
}

int
registry_fetch_blobs(struct registry *r, struct blob_job *jobs, size_t n, const char *tmpdir,
                     kpod_pull_progress_fn progress, void *pdata, struct kpod_err **err)
{
    struct fetch f = {.r = r, .n = n, .tmpdir = tmpdir};
    f.multi = curl_multi_init();
    f.x = xcalloc(n ? n : 1, sizeof(*f.x));
    f.threads = xcalloc(n ? n : 1, sizeof(*f.threads));
    for (size_t i = 0; i < n; i++) {
        f.x[i].job = &jobs[i];
        f.x[i].reg = r;
        f.x[i].fd = -1;
    }
    int rc = fetch_loop(&f, progress, pdata, err);
    for (size_t i = 0; i < n; i++)
        xfer_cleanup(&f.x[i], f.multi);
    for (size_t i = 0; i < f.nthreads; i++) {
        pthread_join(f.threads[i].tid, NULL);
        if (f.threads[i].rc < 0 && rc == 0) {
            kpod_err_move(err, &f.threads[i].err);
            rc = -1;
        }
        kpod_err_free(&f.threads[i].err);
        follow_free(f.threads[i].fl);
    }
    curl_multi_cleanup(f.multi);
    free(f.x);
    free(f.threads);
    return rc;
}
