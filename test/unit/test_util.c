/* Unit tests for lib/util: errors, strings, fs, locks, JSON, digests. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/util.h"

static char tmpdir[] = "/tmp/kpod-unit-util.XXXXXX";

static void
test_err(void)
{
    struct kpod_err *e = NULL;
    errno = ENOENT;
    is_int(kpod_err_sys(&e, "open '%s'", "x"), -1, "kpod_err_sys returns -1");
    is_str(e->msg, "open 'x': No such file or directory", "errno text appended");
    is_int(e->errnum, ENOENT, "errnum captured");
    kpod_err_prefix(&e, "pull '%s'", "busybox");
    is_str(e->msg, "pull 'busybox': open 'x': No such file or directory", "context prefixed");
    is_int(kpod_err_exit_code(e), 125, "internal error exits 125");
    kpod_err_set(&e, KPOD_ERR_NOTFOUND, 0, "second");
    is_str(e->msg, "pull 'busybox': open 'x': No such file or directory", "first error wins");
    kpod_err_free(&e);
    ok(e == NULL, "free resets the pointer");
    kpod_err_notfound(&e, "no such pod");
    is_int(kpod_err_exit_code(e), 127, "not found exits 127");
    kpod_err_free(&e);
    kpod_err_invoke(&e, "pod is paused");
    is_int(kpod_err_exit_code(e), 126, "cannot invoke exits 126");
    struct kpod_err *moved = NULL;
    kpod_err_move(&moved, &e);
    ok(e == NULL && moved != NULL, "move transfers ownership");
    kpod_err_free(&moved);
    is_int(kpod_err_exit_code(NULL), 0, "no error exits 0");
    is_int(kpod_err_msg(NULL, "ignored"), -1, "NULL err pointer is allowed");
}

static void
test_strv(void)
{
    _cleanup_strv_ char **v = kpod_strv_split("a,b,,c", ",", false);
    is_int(kpod_strv_len(v), 4, "split keeps empty fields");
    _cleanup_strv_ char **w = kpod_strv_split("/a//b/", "/", true);
    is_int(kpod_strv_len(w), 2, "split skips empty fields");
    _cleanup_free_ char *j = kpod_strv_join(v, "+");
    is_str(j, "a+b++c", "join");
    ok(kpod_strv_contains(w, "b") && !kpod_strv_contains(w, "c"), "contains");
    kpod_strv_push(&w, "c");
    is_int(kpod_strv_len(w), 3, "push");
    _cleanup_strv_ char **d = kpod_strv_dup(w);
    is_str(d[2], "c", "dup");
    _cleanup_free_ char *e = kpod_strv_join(NULL, ",");
    is_str(e, "", "join of NULL is empty");
    ok(kpod_str_has_prefix("kpod pod", "kpod"), "has_prefix");
    ok(kpod_str_has_suffix("layer.tar.gz", ".gz") && !kpod_str_has_suffix("gz", ".tgz"),
       "has_suffix");
    is_int(kpod_str_distance("verison", "version"), 2, "distance of a swap");
    is_int(kpod_str_distance("", "abc"), 3, "distance from empty");
    long long n = 0;
    ok(kpod_str_to_ll("42", 0, 100, &n) == 0 && n == 42, "to_ll");
    ok(kpod_str_to_ll("101", 0, 100, &n) < 0 && errno == ERANGE, "to_ll range");
    ok(kpod_str_to_ll("4x", 0, 100, &n) < 0 && errno == EINVAL, "to_ll trailing junk");
    ok(kpod_str_to_ll("", 0, 100, &n) < 0, "to_ll empty");
    unsigned long long sz = 0;
    ok(kpod_str_to_size("64m", &sz) == 0 && sz == 64ULL << 20, "size 64m");
    ok(kpod_str_to_size("10KiB", &sz) == 0 && sz == 10240, "size 10KiB");
    ok(kpod_str_to_size("512", &sz) == 0 && sz == 512, "size plain");
    ok(kpod_str_to_size("1z", &sz) < 0, "size bad unit");
    ok(kpod_str_to_size("99999999999999999t", &sz) < 0 && errno == ERANGE, "size overflow");
}

static void
test_fs(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *f = xasprintf("%s/state.json", tmpdir);
    ok(kpod_fs_write_atomic(f, "hello", 5, 0640, &e) == 0, "atomic write");
    struct stat st;
    ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0640, "atomic write sets the mode");
    ok(kpod_fs_write_atomic(f, "bye", 3, 0600, &e) == 0, "atomic overwrite");
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    ok(kpod_fs_read_file(f, 100, &buf, &len, &e) == 0 && len == 3, "read back");
    is_str(buf, "bye", "content replaced whole");
    _cleanup_free_ char *buf2 = NULL;
    ok(kpod_fs_read_file(f, 2, &buf2, &len, &e) < 0, "read limit enforced");
    ok(e && e->kind == KPOD_ERR_INPUT, "over-limit is an input error");
    kpod_err_free(&e);
    _cleanup_free_ char *missing = xasprintf("%s/nope", tmpdir);
    ok(kpod_fs_read_file(missing, 2, &buf2, &len, &e) < 0 && e->kind == KPOD_ERR_NOTFOUND,
       "missing file is not found");
    kpod_err_free(&e);
    _cleanup_free_ char *deep = xasprintf("%s/a/b/c", tmpdir);
    ok(kpod_fs_mkdir_p(deep, 0755, &e) == 0 && kpod_fs_exists(deep), "mkdir_p");
    ok(kpod_fs_mkdir_p(deep, 0755, &e) == 0, "mkdir_p is idempotent");
    ok(kpod_fs_mkdir_p(f, 0755, &e) < 0, "mkdir_p over a file fails");
    kpod_err_free(&e);
    _cleanup_free_ char *deep2 = xasprintf("%s/a/x//y/z/", tmpdir);
    _cleanup_free_ char *deep2z = xasprintf("%s/a/x/y/z", tmpdir);
    ok(kpod_fs_mkdir_p(deep2, 0755, &e) == 0 && kpod_fs_exists(deep2z),
       "mkdir_p makes every missing component (double and trailing slashes)");
    _cleanup_free_ char *under_file = xasprintf("%s/sub/dir", f);
    ok(kpod_fs_mkdir_p(under_file, 0755, &e) < 0 && e != NULL, "mkdir_p under a file fails");
    kpod_err_free(&e);
    _cleanup_free_ char *top = xasprintf("%s/a", tmpdir);
    ok(kpod_fs_rm_rf(top, &e) == 0 && !kpod_fs_exists(top), "rm_rf");
    ok(kpod_fs_rm_rf(top, &e) == 0, "rm_rf of a missing path");
    /* untracked temp files are not left behind */
    _cleanup_closedir_ DIR *d = opendir(tmpdir);
    int temps = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        temps += strstr(de->d_name, ".tmp") != NULL;
    is_int(temps, 0, "no temp files left by atomic writes");
}

static void
test_join(void)
{
    static const struct {
        const char *root, *path, *want;
    } cases[] = {
        {"/r", "etc/passwd", "/r/etc/passwd"},
        {"/r", "/etc/passwd", "/r/etc/passwd"},
        {"/r", "../../etc/passwd", "/r/etc/passwd"},
        {"/r", "a/../../b", "/r/b"},
        {"/r/", "./a//b/./c/", "/r/a/b/c"},
        {"/r", "..", "/r"},
        {"/", "x/../y", "/y"},
        {"/r", "", "/r"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_free_ char *got = kpod_fs_join_in_root(cases[i].root, cases[i].path);
        is_str(got, cases[i].want, "join_in_root('%s', '%s')", cases[i].root, cases[i].path);
    }
}

static void
test_in_root(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *root = xasprintf("%s/root", tmpdir);
    _cleanup_free_ char *outside = xasprintf("%s/outside", tmpdir);
    kpod_fs_mkdir_p(root, 0755, &e);
    kpod_fs_mkdir_p(outside, 0755, &e);
    _cleanup_free_ char *l1 = xasprintf("%s/abs", root);
    _cleanup_free_ char *l2 = xasprintf("%s/rel", root);
    ok(symlink(outside, l1) == 0, "absolute symlink to outside");
    ok(symlink("../outside", l2) == 0, "relative symlink to outside");
    _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int fd = kpod_fs_mkdirat_in_root(rootfd, "abs/x/y", 0755, &e);
    ok(fd >= 0, "mkdir through an absolute symlink");
    _cleanup_free_ char *inside = xasprintf("%s/%s/x/y", root, outside);
    _cleanup_free_ char *escaped = xasprintf("%s/x", outside);
    ok(kpod_fs_exists(inside), "absolute symlink resolved inside the root");
    ok(!kpod_fs_exists(escaped), "nothing created outside through an absolute symlink");
    _cleanup_close_ int fd2 = kpod_fs_mkdirat_in_root(rootfd, "rel/z", 0755, &e);
    ok(fd2 >= 0, "mkdir through a relative symlink");
    _cleanup_free_ char *escaped2 = xasprintf("%s/z", outside);
    ok(!kpod_fs_exists(escaped2), "nothing created outside through '..'");
    _cleanup_close_ int f3 =
        kpod_fs_openat_in_root(rootfd, "/x/../../../file", O_WRONLY | O_CREAT, 0644, &e);
    ok(f3 < 0, "open fails where a component is missing");
    kpod_err_free(&e);
    _cleanup_close_ int f4 =
        kpod_fs_openat_in_root(rootfd, "/../../../file", O_WRONLY | O_CREAT, 0644, &e);
    ok(f4 >= 0, "create with '..' above the root");
    _cleanup_close_ int f5 = kpod_fs_openat_in_root(rootfd, "/abs/x/y", O_PATH, 0, &e);
    ok(f5 >= 0, "absolute symlink followed inside the root");
    _cleanup_free_ char *inroot = xasprintf("%s/file", root);
    ok(kpod_fs_exists(inroot), "created at the root instead of above it");
    kpod_err_free(&e);
}

static void
test_lock(void)
{
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/lock", tmpdir);
    int a = kpod_lock_acquire(path, KPOD_LOCK_SHARED, false, &e);
    int b = kpod_lock_acquire(path, KPOD_LOCK_SHARED, true, &e);
    ok(a >= 0 && b >= 0, "two shared locks coexist");
    int c = kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, true, &e);
    ok(c < 0 && e != NULL && e->kind == KPOD_ERR_INVOKE, "exclusive lock refused while shared");
    kpod_err_free(&e);
    kpod_lock_release(b);
    ok(kpod_lock_change(a, KPOD_LOCK_EXCLUSIVE, &e) == 0, "upgrade when alone");
    int d = kpod_lock_acquire(path, KPOD_LOCK_SHARED, true, &e);
    ok(d < 0, "shared refused while exclusive");
    kpod_err_free(&e);
    kpod_lock_release(a);
    d = kpod_lock_acquire(path, KPOD_LOCK_EXCLUSIVE, true, &e);
    ok(d >= 0, "exclusive after release");
    kpod_lock_release(d);
    kpod_lock_release(-1);
    ok(1, "release of -1 is a no-op");
}

static void
test_json(void)
{
    struct kpod_err *e = NULL;
    json_t *j = kpod_json_loadb("{\"a\": 1,\n \"a\": 2}", 18, "state.json", &e);
    ok(j == NULL && e != NULL, "duplicate keys rejected");
    ok(e && strstr(e->msg, "state.json:2:") != NULL, "error names file:line (%s)", e ? e->msg : "");
    kpod_err_free(&e);
    _cleanup_json_ json_t *o = json_object();
    kpod_json_set_str(o, "name", "web");
    kpod_json_set_str(o, "skip", NULL);
    kpod_json_set_int(o, "pid", 42);
    json_object_set_new(o, "ok", json_true());
    is_str(kpod_json_str(o, "name"), "web", "string getter");
    ok(kpod_json_str(o, "skip") == NULL, "NULL string skipped");
    is_int(kpod_json_int(o, "pid", -1), 42, "int getter");
    is_int(kpod_json_int(o, "name", -1), -1, "int getter falls back on type mismatch");
    ok(kpod_json_bool(o, "ok", false), "bool getter");
    _cleanup_free_ char *path = xasprintf("%s/x.json", tmpdir);
    ok(kpod_json_save_file(path, o, false, 0600, &e) == 0, "save");
    _cleanup_json_ json_t *back = kpod_json_load_file(path, 4096, &e);
    ok(back != NULL && json_equal(back, o), "load what was saved");
    _cleanup_free_ char *s = kpod_json_dumps(o, false);
    is_str(s, "{\"name\":\"web\",\"ok\":true,\"pid\":42}", "compact sorted dump");
}

static void
test_digest(void)
{
    char d[KPOD_DIGEST_STR_LEN];
    kpod_sha256_buf("", 0, d);
    is_str(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "sha256 of empty");
    struct kpod_sha256 *h = kpod_sha256_new();
    kpod_sha256_update(h, "a", 1);
    kpod_sha256_update(h, "bc", 2);
    kpod_sha256_final(h, d);
    kpod_sha256_free(h);
    is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "streaming sha256 of abc");
    struct kpod_err *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/abc", tmpdir);
    kpod_fs_write_atomic(path, "abc", 3, 0644, &e);
    char d2[KPOD_DIGEST_STR_LEN];
    ok(kpod_sha256_file(path, d2, &e) == 0 && strcmp(d, d2) == 0, "sha256 of a file");
    ok(kpod_digest_valid(d), "valid digest");
    ok(!kpod_digest_valid("sha256:ABC"), "short digest invalid");
    ok(!kpod_digest_valid(
           "sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
       "other algorithm invalid");
    d[10] = 'G';
    ok(!kpod_digest_valid(d), "non-hex invalid");
    char id[65], id2[65];
    kpod_random_hex(id, 32);
    kpod_random_hex(id2, 32);
    ok(strlen(id) == 64 && strcmp(id, id2) != 0, "random ids are 64 hex and differ");
}

static void
test_log(void)
{
    enum kpod_log_level l;
    ok(kpod_log_parse_level("DEBUG", &l) == 0 && l == KPOD_LOG_DEBUG, "parse debug");
    ok(kpod_log_parse_level("warning", &l) == 0 && l == KPOD_LOG_WARN, "parse warning");
    ok(kpod_log_parse_level("loud", &l) < 0, "reject unknown level");
    kpod_log_set_level(KPOD_LOG_ERROR);
    ok(!kpod_log_enabled(KPOD_LOG_WARN), "warn disabled at error level");
    kpod_log_set_level(KPOD_LOG_WARN);
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    test_err();
    test_strv();
    test_fs();
    test_join();
    test_in_root();
    test_lock();
    test_json();
    test_digest();
    test_log();
    struct kpod_err *e = NULL;
    kpod_fs_rm_rf(tmpdir, &e);
    return tap_done();
}
