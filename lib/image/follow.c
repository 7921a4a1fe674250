/* A file read while a download still writes it: the reader blocks at the current end until
 * the writer adds bytes or ends the transfer with a verdict. Lets a layer unpack during its
 * download without ever slowing the download down (the bytes come back from the page cache). */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "image/internal.h"

struct follow {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned long gen; /* bumped by every notify */
    int state;         /* 0 running, 1 verified, -1 failed */
    int fd;
    off_t off;
};

struct follow *
follow_new(void)
{
    struct follow *f = xzalloc(sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->fd = -1;
    return f;
}

void
follow_free(struct follow *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0)
        close(f->fd);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

int
follow_open(struct follow *f, const char *path, struct kpod_err **err)
{
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return kpod_err_sys(err, "open '%s'", path);
    return 0;
}

void
follow_notify(struct follow *f)
{
    pthread_mutex_lock(&f->lock);
    f->gen++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

void
follow_end(struct follow *f, int verdict)
{
    pthread_mutex_lock(&f->lock);
    if (f->state == 0)
        f->state = verdict;
    f->gen++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

ssize_t
follow_read(void *data, void *buf, size_t len)
{
    struct follow *f = data;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        unsigned long gen = f->gen;
        int state = f->state;
        pthread_mutex_unlock(&f->lock);
        ssize_t n = pread(f->fd, buf, len, f->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 0) {
            if (n > 0)
                f->off += n;
            return n;
        }
        if (state != 0)
            return 0; /* the end: everything written was read */
        pthread_mutex_lock(&f->lock);
        while (f->gen == gen && f->state == 0)
            pthread_cond_wait(&f->cond, &f->lock);
        pthread_mutex_unlock(&f->lock);
    }
}

int
follow_wait(struct follow *f)
{
    pthread_mutex_lock(&f->lock);
    while (f->state == 0)
        pthread_cond_wait(&f->cond, &f->lock);
    int s = f->state;
    pthread_mutex_unlock(&f->lock);
    return s;
}
