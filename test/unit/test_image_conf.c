/* registries.conf parsing, prefix matching, and auth.json read/write. */
#include "image/image.h"
#include "tap.h"

#include <sys/stat.h>

static void
test_regconf(void)
{
    const char *text = "# comment with \"quotes\" and # hashes\n"
                       "unqualified-search-registries = [\"quay.io\", 'docker.io'] # trailing\n"
                       "short-name-mode = \"enforcing\"\n"
                       "\n"
                       "[[registry]]\n"
                       "prefix = \"example.com/foo\"\n"
                       "location = \"mirror.internal:5000/foo\"\n"
                       "insecure = true\n"
                       "[[registry.mirror]]\n"
                       "location = \"m1.internal\"\n"
                       "[[registry]]\n"
                       "location = \"example.com\"\n"
                       "blocked = true\n"
                       "[[registry]]\n"
                       "location = \"multi.io\"\n"
                       "[aliases]\n"
                       "  \"bb\" = \"docker.io/library/busybox\"\n"
                       "  \"bb\" = \"quay.io/x/busybox\" # later wins\n";
    _cleanup_err_ struct kpod_err *err = NULL;
    struct kpod_registry_conf *c = NULL;
    ok(kpod_registry_conf_parse(text, "test.conf", &c, &err) == 0, "parses: %s",
       err ? err->msg : "");
    if (c == NULL)
        return;
    is_int(kpod_strv_len(c->search), 2, "two search registries");
    is_str(c->search[1], "docker.io", "single-quoted string");
    is_int(c->n_entries, 3, "three [[registry]] tables");
    const struct kpod_registry_entry *e = kpod_registry_conf_find(c, "example.com/foo/bar");
    ok(e && e->insecure && strcmp(e->location, "mirror.internal:5000/foo") == 0,
       "longest prefix wins");
    ok(e && e->mirrors && strcmp(e->mirrors[0], "m1.internal") == 0, "mirror");
    e = kpod_registry_conf_find(c, "example.com/other");
    ok(e && e->blocked, "shorter prefix: blocked");
    ok(kpod_registry_conf_find(c, "example.community/x") == NULL, "prefix ends at a separator");
    is_str(kpod_registry_conf_alias(c, "bb"), "quay.io/x/busybox", "alias, the later one wins");
    ok(kpod_registry_conf_alias(c, "nope") == NULL, "no alias");
    kpod_registry_conf_free(c);

    c = NULL;
    ok(kpod_registry_conf_parse("unqualified-search-registries = [\n \"a.io\",\n \"b.io\"\n]\n",
                                "m.conf", &c, &err) == 0 &&
           kpod_strv_len(c->search) == 2,
       "multi-line array");
    kpod_registry_conf_free(c);

    c = NULL;
    ok(kpod_registry_conf_parse("[[registry]]\ninsecure = maybe\n", "bad.conf", &c, &err) < 0 &&
           strstr(err->msg, "bad.conf:2") != NULL,
       "bad value names file:line: %s", err ? err->msg : "");
    kpod_err_free(&err);
    ok(kpod_registry_conf_parse("just words\n", "w.conf", &c, &err) < 0, "garbage refused");
    kpod_err_free(&err);
    ok(kpod_registry_conf_parse("[[registry]]\ninsecure = true\n", "n.conf", &c, &err) < 0,
       "registry without location refused");
}

static void
test_auth(void)
{
    char dir[] = "/tmp/kpod-auth-XXXXXX";
    if (mkdtemp(dir) == NULL)
        abort();
    char path[128];
    snprintf(path, sizeof(path), "%s/sub/auth.json", dir);
    _cleanup_err_ struct kpod_err *err = NULL;
    ok(kpod_auth_store(path, "reg.io:5000", "alice", "pa:ss", &err) == 0, "store");
    struct stat st;
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
    char *u = NULL, *p = NULL;
    is_int(kpod_auth_lookup(path, "reg.io:5000", &u, &p, &err), 1, "found");
    is_str(u, "alice", "user");
    is_str(p, "pa:ss", "password with a colon");
    free(u);
    free(p);
    u = p = NULL;
    is_int(kpod_auth_lookup(path, "other.io", &u, &p, &err), 0, "other registry: none");
    is_int(kpod_auth_remove(path, "reg.io:5000", &err), 1, "removed");
    is_int(kpod_auth_remove(path, "reg.io:5000", &err), 0, "not logged in any more");
    FILE *f = fopen(path, "w");
    fputs("{\"auths\": {\"bad.io\": {\"auth\": \"!!!\"}}}", f);
    fclose(f);
    ok(kpod_auth_lookup(path, "bad.io", &u, &p, &err) < 0, "bad base64 refused: %s",
       err ? err->msg : "");
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("cleanup failed");
}

int
main(void)
{
    test_regconf();
    test_auth();
    return tap_done();
}
