/* lib/manifest: parsing, limits, positions, Kubernetes semantics. */
#include "manifest/manifest.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "manifest_tap.h"

#define POD_HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"

static void
test_basic_pod(void)
{
    const char *y = POD_HEAD "  containers:\n"
                             "  - name: app\n"
                             "    image: busybox\n"
                             "    command: [sh, -c]\n"
                             "    args: ['echo hi']\n"
                             "    tty: yes\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "basic pod parses");
    if (m == NULL)
        return;
    is_int(m->n_pods, 1, "one pod");
    const struct kpod_pod *p = &m->pods[0];
    is_str(p->name, "web", "pod name");
    is_str(p->namespace, "default", "default namespace");
    is_int(p->restart_policy, KPOD_RESTART_ALWAYS, "restartPolicy defaults to Always");
    is_int(p->termination_grace_seconds, 30, "grace defaults to 30");
    is_int(p->n_containers, 1, "one container");
    const struct kpod_container *c = &p->containers[0];
    is_str(c->name, "app", "container name");
    is_str(c->command[1], "-c", "command");
    is_str(c->args[0], "echo hi", "args");
    ok(c->tty, "YAML 1.1 'yes' is true");
    is_int(c->resources.cpu_limit, KPOD_UNSET, "no cpu limit");
    is_int(c->pos.line, 7, "container line");
    is_int(c->pos.col, 5, "container column");
    ok(m->warnings == NULL, "no warnings");
}

static void
test_positions(void)
{
    const char *y = POD_HEAD "  containers:\n"
                             "  - name: a\n"
                             "    image: busybox\n"
                             "  - name: b\n"
                             "    imagePullPolicy: Always\n";
    expect_err(y, "t.yaml:9:5: spec.containers[1].image: required", "missing image with position");
    expect_err(POD_HEAD "  containers:\n  - image: x\n",
               "t.yaml:7:5: spec.containers[0].name: required", "missing container name");
    expect_err("apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: b}]\n",
               "metadata.name: required", "missing pod name");
    expect_err(POD_HEAD "  containers:\n  - name: Bad_Name\n    image: x\n",
               "t.yaml:7:5: spec.containers[0].name: 'Bad_Name' is not a valid name",
               "invalid DNS-1123 container name");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    ports:\n"
                        "    - containerPort: -1\n",
               "t.yaml:10:22: spec.containers[0].ports[0].containerPort: port -1", "negative port");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    tty: maybe\n",
               "t.yaml:9:10: spec.containers[0].tty: expected true or false, got 'maybe'",
               "bad boolean");
    expect_err("a: [\n", "t.yaml:2:1", "YAML syntax error has a position");
    expect_err(POD_HEAD "  containers: {name: a}\n", "spec.containers: expected a sequence",
               "wrong node type");
}

static void
test_unknown_fields(void)
{
    const char *y = POD_HEAD "  nodeSelector: {disk: ssd}\n"
                             "  containers:\n"
                             "  - name: a\n"
                             "    image: x\n"
                             "    imagePullPolcy: Always\n"
                             "    frobnicate: 1\n"
                             "---\n"
                             "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "unknown fields are not fatal");
    if (m == NULL)
        return;
    ok(has_warning(m, "t.yaml:6:3: spec.nodeSelector: not supported by kpod, ignored"),
       "unsupported field warned with position");
    ok(has_warning(m, "spec.containers[0].imagePullPolcy: unknown field, ignored (did you mean "
                      "'imagePullPolicy'?)"),
       "typo warned with a suggestion");
    ok(has_warning(m, "spec.containers[0].frobnicate: unknown field"), "unknown field warned");
    ok(has_warning(m, "t.yaml:13:1: kind 'Service' is not supported by kpod, skipped"),
       "unsupported kind warned with position");
    expect_err("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "no Pod",
               "nothing supported is an error");
}

static void
test_duplicates(void)
{
    expect_err(POD_HEAD "  initContainers:\n  - name: a\n    image: x\n"
                        "  containers:\n  - name: a\n    image: y\n",
               "duplicate container name 'a'", "duplicate across init and app containers");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    image: y\n",
               "spec.containers[0].image: duplicate key", "duplicate key");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n---\n" POD_HEAD
                        "  containers: [{name: a, image: x}]\n",
               "duplicate pod name 'web'", "duplicate pod name");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    volumeMounts:\n"
                        "    - name: data\n      mountPath: /data\n",
               "t.yaml:10:7: spec.containers[0].volumeMounts[0]: volumeMount '/data': no volume "
               "named 'data'",
               "mount of an undefined volume");
}

static void
test_init_order(void)
{
    const char *y =
        POD_HEAD "  containers:\n  - {name: main, image: x}\n"
                 "  initContainers:\n  - {name: i1, image: x}\n  - {name: i2, image: x}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "init containers parse");
    if (m == NULL)
        return;
    const struct kpod_pod *p = &m->pods[0];
    is_int(p->n_init, 2, "two init containers");
    is_str(p->containers[0].name, "i1", "init containers come first");
    is_str(p->containers[1].name, "i2", "in order");
    is_str(p->containers[2].name, "main", "then app containers");
    ok(p->containers[0].init && !p->containers[2].init, "init flags");
}

static void
test_sidecars(void)
{
    const char *y = POD_HEAD "  initContainers:\n"
                             "  - {name: setup, image: x}\n"
                             "  - name: log\n"
                             "    image: x\n"
                             "    restartPolicy: Always\n"
                             "    livenessProbe: {exec: {command: ['true']}}\n"
                             "  containers:\n  - {name: main, image: x}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "a sidecar init container parses");
    if (m == NULL)
        return;
    const struct kpod_pod *p = &m->pods[0];
    is_int(p->n_init, 2, "sidecars count as init containers");
    ok(!p->containers[0].sidecar, "a plain init container is no sidecar");
    ok(p->containers[1].init && p->containers[1].sidecar, "restartPolicy Always: a sidecar");
    ok(p->containers[1].liveness.set, "sidecars may have probes");
    ok(!p->containers[2].sidecar, "the app container is no sidecar");
    ok(!has_warning(m, "restartPolicy"), "no warning about restartPolicy");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    restartPolicy: Always\n",
               "t.yaml:9:20: spec.containers[0].restartPolicy: may not be set for app containers",
               "restartPolicy on an app container");
    expect_err(POD_HEAD "  initContainers:\n  - name: i\n    image: x\n    restartPolicy: Never\n"
                        "  containers: [{name: a, image: x}]\n",
               "t.yaml:9:20: spec.initContainers[0].restartPolicy: 'Never' is not supported: an "
               "init container's restartPolicy must be Always",
               "restartPolicy Never on an init container");
    expect_err(POD_HEAD
               "  initContainers:\n  - name: i\n    image: x\n    restartPolicy: [Always]\n"
               "  containers: [{name: a, image: x}]\n",
               "spec.initContainers[0].restartPolicy: '' is not supported", "not a scalar");
    expect_err(POD_HEAD "  initContainers:\n  - name: i\n    image: x\n"
                        "    readinessProbe: {exec: {command: ['true']}}\n"
                        "  containers: [{name: a, image: x}]\n",
               "probes and lifecycle hooks are not allowed in init containers",
               "probes stay forbidden in plain init containers");
}

static void
test_quantities(void)
{
    static const struct {
        const char *s;
        bool milli;
        long long want;
    } cases[] = {
        {"100m", true, 100},
        {"0.5", true, 500},
        {"1", true, 1000},
        {"2", true, 2000},
        {"1.5", true, 1500},
        {"0.0001", true, 1},
        {"1u", true, 1},
        {"128974848", false, 128974848},
        {"129e6", false, 129000000},
        {"129M", false, 129000000},
        {"123Mi", false, 128974848},
        {"1Gi", false, 1073741824},
        {"1.5Gi", false, 1610612736},
        {"64Ki", false, 65536},
        {"1k", false, 1000},
        {".5", false, 1},
        {"1E", false, 1000000000000000000LL},
        {"8Ei", false, -2},
        {"1e3", false, 1000},
        {"1E-3", true, 1},
        {"+1", false, 1},
        {"500m", false, 1},
        {"0", false, 0},
        {"1Pi", false, 1125899906842624LL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        long long v = -1;
        int r = kpod_quantity_parse(cases[i].s, cases[i].milli, &v);
        if (cases[i].want == -2)
            ok(r < 0, "quantity '%s' overflows", cases[i].s);
        else
            ok(r == 0 && v == cases[i].want, "quantity '%s' -> %lld (got %lld)", cases[i].s,
               cases[i].want, v);
    }
    const char *bad[] = {"", "abc", "1x", "1KiB", "-1", "1..2", "Mi", "1e", "1e999", "1 Gi"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        long long v = 0;
        ok(kpod_quantity_parse(bad[i], false, &v) < 0, "quantity '%s' rejected", bad[i]);
    }
    const char *y = POD_HEAD "  containers:\n  - name: a\n    image: x\n    resources:\n"
                             "      limits: {cpu: 500m, memory: 1Gi}\n"
                             "      requests: {cpu: 0.25}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "resources parse");
    if (m != NULL) {
        const struct kpod_resources *r = &m->pods[0].containers[0].resources;
        is_int(r->cpu_limit, 500, "cpu limit 500m");
        is_int(r->cpu_request, 250, "cpu request 0.25");
        is_int(r->mem_limit, 1073741824, "memory limit 1Gi");
        is_int(r->mem_request, 1073741824, "memory request defaults to the limit");
    }
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    resources:\n"
                        "      limits: {memory: 12 apples}\n",
               "t.yaml:10:15: spec.containers[0].resources.limits.memory: invalid quantity '12 "
               "apples'",
               "bad quantity with path");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    resources:\n"
                        "      limits: {cpu: 1}\n      requests: {cpu: 2}\n",
               "requests.cpu: must be less than or equal", "request above limit");
}

static void
test_signals(void)
{
    is_int(kpod_signal_parse("SIGTERM"), 15, "SIGTERM");
    is_int(kpod_signal_parse("term"), 15, "term");
    is_int(kpod_signal_parse("KILL"), 9, "KILL");
    is_int(kpod_signal_parse("9"), 9, "numeric");
    is_int(kpod_signal_parse("SIGRTMIN+3"), 37, "SIGRTMIN+3");
    is_int(kpod_signal_parse("SIGRTMAX-1"), 63, "SIGRTMAX-1");
    is_int(kpod_signal_parse("SIGFOO"), -1, "unknown");
    is_int(kpod_signal_parse("0"), -1, "zero");
    is_int(kpod_signal_parse("65"), -1, "too big");
    is_str(kpod_signal_name(15), "SIGTERM", "name of 15");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    lifecycle:\n"
                        "      stopSignal: SIGBOGUS\n",
               "t.yaml:10:19: spec.containers[0].lifecycle.stopSignal: invalid signal name "
               "'SIGBOGUS'",
               "bad signal name");
}

static void
test_names(void)
{
    ok(kpod_is_dns1123_label("a-1"), "label a-1");
    ok(!kpod_is_dns1123_label("-a"), "label -a");
    ok(!kpod_is_dns1123_label("A"), "label A");
    ok(!kpod_is_dns1123_label(""), "empty label");
    char long_label[70];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    ok(!kpod_is_dns1123_label(long_label), "64-char label");
    ok(kpod_is_dns1123_subdomain("a.b-c.d"), "subdomain");
    ok(!kpod_is_dns1123_subdomain("a..b"), "empty label in subdomain");
}

static void
test_octal_modes(void)
{
    const char *y = POD_HEAD "  containers:\n  - name: a\n    image: x\n"
                             "  volumes:\n"
                             "  - name: v1\n    configMap: {name: cm, defaultMode: 0600}\n"
                             "  - name: v2\n    configMap: {name: cm, defaultMode: 420}\n"
                             "  - name: v3\n    secret:\n      secretName: s\n"
                             "      defaultMode: 0o440\n"
                             "      items: [{key: k, path: p/q, mode: 0400}]\n"
                             "  - name: v4\n    configMap: {name: cm}\n"
                             "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                             "data: {a: b}\n"
                             "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                             "data: {k: aGVsbG8=}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "volumes with modes parse");
    if (m == NULL)
        return;
    const struct kpod_pod *p = &m->pods[0];
    is_int(p->volumes[0].default_mode, 0600, "YAML 1.1 octal 0600");
    is_int(p->volumes[1].default_mode, 0644, "decimal 420 is 0644");
    is_int(p->volumes[2].default_mode, 0440, "0o440");
    is_int(p->volumes[2].items[0].mode, 0400, "item mode 0400");
    is_int(p->volumes[3].default_mode, 0644, "default mode 0644");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n  volumes:\n"
                        "  - name: v\n    configMap: {name: cm, defaultMode: 0800}\n",
               "defaultMode: expected an integer, got '0800'", "0800 is not octal");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n  volumes:\n"
                        "  - name: v\n    configMap: {name: cm, defaultMode: 01000}\n",
               "defaultMode: 512 is out of range", "mode above 0777");
}

static void
test_keysets(void)
{
    const char *y = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                    "data: {user: YWRtaW4=, pass: cGFzcw==}\n"
                    "stringData: {pass: plain}\n"
                    "---\n"
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                    "data: {LOG: debug, 'port': '8080'}\n"
                    "binaryData: {bin: AAEC}\n"
                    "---\n" POD_HEAD "  containers: [{name: a, image: x}]\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "ConfigMap and Secret parse");
    if (m == NULL)
        return;
    const struct kpod_keyset *s = kpod_manifest_find_keyset(m, KPOD_KEYSET_SECRET, "s");
    ok(s != NULL && s->data.n == 2, "secret has 2 keys");
    if (s != NULL) {
        is_str(s->data.items[0].value, "admin", "base64 decoded");
        is_str(s->data.items[1].value, "plain", "stringData wins over data");
    }
    const struct kpod_keyset *cm = kpod_manifest_find_keyset(m, KPOD_KEYSET_CONFIGMAP, "cm");
    ok(cm != NULL && cm->data.n == 3, "configmap has 3 keys");
    if (cm != NULL) {
        is_int(cm->data.items[2].len, 3, "binaryData decoded length");
        ok(memcmp(cm->data.items[2].value, "\0\1\2", 3) == 0, "binary bytes");
    }
    expect_err("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: '!!!'}\n---\n" POD_HEAD
               "  containers: [{name: a, image: x}]\n",
               "t.yaml:4:7: data.a: invalid base64 data", "bad base64");
}

static char **
env_of(const char *yaml, const struct kpod_env_runtime *rt, size_t ctr)
{
    struct kpod_err *err = NULL;
    struct kpod_manifest *m = parse(yaml, NULL);
    char **env = NULL;
    if (m == NULL)
        return NULL;
    if (kpod_manifest_container_env(m, &m->pods[0], &m->pods[0].containers[ctr], rt, &env, &err) <
        0) {
        diag("%s", err->msg);
        kpod_err_free(&err);
    }
    kpod_manifest_free(m);
    return env;
}

static void
test_env(void)
{
    const char *y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
                    "  labels: {app: web}\nspec:\n"
                    "  containers:\n  - name: a\n    image: x\n"
                    "    envFrom:\n"
                    "    - configMapRef: {name: cm}\n"
                    "    - secretRef: {name: s}\n      prefix: S_\n"
                    "    - configMapRef: {name: missing, optional: true}\n"
                    "    env:\n"
                    "    - {name: A, value: one}\n"
                    "    - {name: B, value: '$(A)-two'}\n"
                    "    - {name: C, value: '$$(A) $(NOPE) $(B) $ $A $('}\n"
                    "    - {name: LOG, value: override}\n"
                    "    - {name: D, value: '$(LATER)'}\n"
                    "    - {name: LATER, value: x}\n"
                    "    - name: POD\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"
                    "    - name: IP\n      valueFrom: {fieldRef: {fieldPath: status.podIP}}\n"
                    "    - name: APP\n      valueFrom:\n"
                    "        fieldRef: {fieldPath: \"metadata.labels['app']\"}\n"
                    "    - name: OPT\n      valueFrom:\n"
                    "        configMapKeyRef: {name: cm, key: nokey, optional: true}\n"
                    "    - name: PASS\n      valueFrom:\n"
                    "        secretKeyRef: {name: s, key: pass}\n"
                    "    - name: MEM\n      valueFrom:\n"
                    "        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}\n"
                    "    - name: CPU\n      valueFrom:\n"
                    "        resourceFieldRef: {resource: limits.cpu}\n"
                    "    - {name: E, value: '$(POD)'}\n"
                    "    - {name: EMPTY}\n"
                    "    resources: {limits: {memory: 100Mi, cpu: 1500m}}\n"
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
                    "data: {LOG: debug, Z: zz}\n"
                    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                    "stringData: {pass: hunter2}\n";
    struct kpod_env_runtime rt = {.pod_ip = "10.88.0.5"};
    _cleanup_strv_ char **env = env_of(y, &rt, 0);
    ok(env != NULL, "env resolves");
    if (env == NULL)
        return;
    _cleanup_free_ char *joined = kpod_strv_join(env, "|");
    is_str(joined,
           "LOG=override|Z=zz|S_pass=hunter2|A=one|B=one-two|C=$(A) $(NOPE) one-two $ $A $(|"
           "D=$(LATER)|LATER=x|POD=web|IP=10.88.0.5|APP=web|PASS=hunter2|MEM=100|CPU=2|E=web|"
           "EMPTY=",
           "env order, precedence and expansion");
    char *cmd_env[] = {"A=1", "B=2", "A=3", NULL};
    _cleanup_free_ char *e1 = kpod_manifest_expand("$(A)$(B)$$(A)$(C)", cmd_env);
    is_str(e1, "32$(A)$(C)", "expand: last wins, $$ escapes, unknown stays");
    _cleanup_free_ char *e2 = kpod_manifest_expand("$", cmd_env);
    is_str(e2, "$", "expand: lone $ at end");
    _cleanup_free_ char *e3 = kpod_manifest_expand("a$(B", cmd_env);
    is_str(e3, "a$(B", "expand: unterminated");
    _cleanup_free_ char *e4 = kpod_manifest_expand("$()", cmd_env);
    is_str(e4, "$()", "expand: empty name");
    /* an expansion bomb: each variable doubles the previous one */
    struct buf_ {
        char *s;
    } yb = {xstrdup(POD_HEAD
                    "  containers:\n  - name: a\n    image: x\n    env:\n"
                    "    - {name: V0, value: 0123456789012345678901234567890123456789}\n")};
    for (int i = 1; i <= 30; i++) {
        char *next =
            xasprintf("%s    - {name: V%d, value: '$(V%d)$(V%d)'}\n", yb.s, i, i - 1, i - 1);
        free(yb.s);
        yb.s = next;
    }
    _cleanup_manifest_ struct kpod_manifest *bm = parse(yb.s, NULL);
    free(yb.s);
    char **benv = NULL;
    struct kpod_err *berr = NULL;
    ok(bm &&
           kpod_manifest_container_env(bm, &bm->pods[0], &bm->pods[0].containers[0], NULL, &benv,
                                       &berr) < 0 &&
           berr && strstr(berr->msg, "env 'V15' expands to more than 1048576 bytes"),
       "expansion bomb stopped: %s", berr ? berr->msg : "");
    kpod_err_free(&berr);
    kpod_strv_free(benv);
    /* more variables than a container may have */
    size_t nkeys = KPOD_MANIFEST_MAX_ENV + 1;
    char *big = xmalloc(nkeys * 24 + 512);
    char *bp = big + sprintf(big, POD_HEAD "  containers:\n  - name: a\n    image: x\n"
                                           "    envFrom: [{configMapRef: {name: cm}}]\n"
                                           "---\napiVersion: v1\nkind: ConfigMap\n"
                                           "metadata: {name: cm}\ndata:\n");
    for (size_t i = 0; i < nkeys; i++)
        bp += sprintf(bp, "  K%zu: v\n", i);
    _cleanup_manifest_ struct kpod_manifest *em = parse(big, NULL);
    free(big);
    benv = NULL;
    ok(em &&
           kpod_manifest_container_env(em, &em->pods[0], &em->pods[0].containers[0], NULL, &benv,
                                       &berr) < 0 &&
           berr && strstr(berr->msg, "more than 10000 environment variables"),
       "environment size limit: %s", berr ? berr->msg : "");
    kpod_err_free(&berr);
    kpod_strv_free(benv);
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
                        "    - name: X\n      valueFrom:\n"
                        "        configMapKeyRef: {name: nope, key: k}\n",
               "t.yaml:10:7: spec.containers[0].env[0]: env 'X': ConfigMap 'nope' not found",
               "missing ConfigMap");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    envFrom:\n"
                        "    - secretRef: {name: nope}\n",
               "envFrom: Secret 'nope' not found", "missing Secret in envFrom");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
                        "    - name: X\n      value: a\n      valueFrom:\n"
                        "        fieldRef: {fieldPath: metadata.name}\n",
               "may not be set together with value", "value and valueFrom");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    env:\n"
                        "    - name: X\n      valueFrom:\n"
                        "        fieldRef: {fieldPath: spec.bogus}\n",
               "unsupported field path 'spec.bogus'", "bad field path");
}

static void
test_workloads(void)
{
    const char *y =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {a: b}}\n"
        "spec:\n  replicas: 3\n  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n"
        "    spec:\n      containers: [{name: c, image: x}]\n"
        "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\n"
        "spec:\n  backoffLimit: 2\n  template:\n"
        "    spec:\n      containers: [{name: c, image: x}]\n"
        "---\napiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {name: ds}\n"
        "  spec:\n    template:\n      spec:\n        containers: [{name: c, image: x}]\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "workloads parse");
    if (m == NULL)
        return;
    is_int(m->n_pods, 5, "three replicas, a Job template, a DaemonSet pod");
    is_str(m->pods[0].name, "web-0", "Deployment replicas named <name>-<i>");
    is_str(m->pods[2].name, "web-2", "third replica");
    is_int(m->pods[2].index, 2, "replica index");
    is_str(m->pods[0].kind, "Deployment", "kind recorded");
    is_str(m->pods[0].owner_name, "web", "owner recorded");
    is_int(m->n_workloads, 3, "three workloads");
    is_int(m->workloads[0].replicas, 3, "replicas recorded");
    bool owned = false;
    for (size_t i = 0; i < m->pods[1].annotations.n; i++)
        owned = owned || (strcmp(m->pods[1].annotations.items[i].key, "kpod.io/owner") == 0 &&
                          strcmp(m->pods[1].annotations.items[i].value, "Deployment/web") == 0);
    ok(owned, "owner annotation");
    ok(!has_warning(m, "spec.replicas"), "replicas not warned about");
    is_str(m->pods[3].name, "once-0", "Job template pod");
    is_int(m->pods[3].restart_policy, KPOD_RESTART_NEVER, "Job pods default to Never");
    ok(m->pods[3].job != NULL && m->pods[3].job->backoff_limit == 2, "backoffLimit parsed");
    ok(m->pods[3].job != NULL && m->pods[3].job->completions == 1 &&
           m->pods[3].job->parallelism == 1 && m->pods[3].job->active_deadline_seconds == -1,
       "Job defaults");
    ok(!has_warning(m, "spec.backoffLimit"), "backoffLimit not warned about");
    bool job_label = false;
    for (size_t i = 0; i < m->pods[3].labels.n; i++)
        job_label = job_label || (strcmp(m->pods[3].labels.items[i].key, "job-name") == 0 &&
                                  strcmp(m->pods[3].labels.items[i].value, "once") == 0);
    ok(job_label, "job-name label");
    is_str(m->pods[4].name, "ds-0", "DaemonSet inside a List");
    expect_err("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
               "  replicas: 101\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n",
               "t.yaml:5:13: spec.replicas: 101 replicas: kpod runs at most 100 pods",
               "replicas ceiling");
    expect_err(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n"
        "  completions: 0\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n",
        "spec.completions", "completions 0");
    expect_err(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n"
        "  parallelism: -1\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n",
        "spec.parallelism", "negative parallelism");
    const char *hp = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
                     "  replicas: 2\n  template:\n    spec:\n      containers: [{name: c, "
                     "image: x, ports: [{containerPort: 80, hostPort: 8080}]}]\n";
    _cleanup_manifest_ struct kpod_manifest *mh = parse(hp, NULL);
    ok(mh != NULL && has_warning(mh, "t.yaml:5:13: spec.replicas: 2 pods of Deployment 'd' at "
                                     "once cannot share hostPort 8080 on one host"),
       "replicas with a hostPort warned");
    const char *zero = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: z}\nspec:\n"
                       "  replicas: 0\n  template:\n    spec:\n"
                       "      containers: [{name: c, image: x}]\n";
    _cleanup_manifest_ struct kpod_manifest *mz = parse(zero, NULL);
    ok(mz != NULL && mz->n_pods == 0 && mz->n_workloads == 1, "replicas 0: no pod, valid");
    ok(mz != NULL && has_warning(mz, "0 replicas: no pod is run for Deployment 'z'"),
       "replicas 0 said");
    {
        char *big = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&big, &len);
        for (int i = 0; i < 3; i++)
            fprintf(f,
                    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d%d}\nspec:\n"
                    "  replicas: 100\n  template:\n    spec:\n"
                    "      containers: [{name: c, image: x}]\n",
                    i);
        fclose(f);
        expect_err(big, "Deployment 'd2': more than 256 pods in the input", "pod budget");
        free(big);
    }
    const char *ttl = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: t}\nspec:\n"
                      "  ttlSecondsAfterFinished: 5\n  suspend: true\n  template:\n    spec:\n"
                      "      containers: [{name: c, image: x}]\n";
    _cleanup_manifest_ struct kpod_manifest *mt = parse(ttl, NULL);
    ok(mt != NULL && has_warning(mt, "spec.suspend: not supported by kpod"), "suspend warned");
    ok(mt != NULL && !has_warning(mt, "ttlSecondsAfterFinished") &&
           mt->pods[0].job->ttl_seconds_after_finished == 5,
       "ttlSecondsAfterFinished parsed");
    expect_err(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Always\n      containers: [{name: c, image: x}]\n",
        "t.yaml:7:22: spec.template.spec.restartPolicy: 'Always' is not allowed: a Job needs "
        "OnFailure or Never",
        "Job with Always");
    expect_err("apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n",
               "unsupported apiVersion 'apps/v2'", "bad apiVersion");
}

static void
test_security(void)
{
    const char *y =
        POD_HEAD "  securityContext:\n    runAsUser: 1000\n    runAsGroup: 3000\n"
                 "    fsGroup: 2000\n    supplementalGroups: [4000, 5000]\n"
                 "    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: '0'}]\n"
                 "    seccompProfile: {type: RuntimeDefault}\n"
                 "  containers:\n  - name: a\n    image: x\n    securityContext:\n"
                 "      runAsUser: 0\n      privileged: false\n"
                 "      capabilities: {add: [NET_ADMIN, cap_sys_time], drop: [ALL]}\n"
                 "      readOnlyRootFilesystem: true\n"
                 "      allowPrivilegeEscalation: false\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "security contexts parse");
    if (m == NULL)
        return;
    const struct kpod_pod *p = &m->pods[0];
    const struct kpod_container *c = &p->containers[0];
    is_int(p->run_as_user, 1000, "pod runAsUser");
    is_int(p->fs_group, 2000, "fsGroup");
    is_int(p->n_supplemental_groups, 2, "supplemental groups");
    is_str(p->sysctls.items[0].key, "net.ipv4.ip_unprivileged_port_start", "sysctl");
    is_int(p->seccomp.type, KPOD_SECCOMP_RUNTIME_DEFAULT, "pod seccomp");
    is_int(c->sec.run_as_user, 0, "container runAsUser 0 kept (overrides the pod)");
    is_int(c->sec.privileged, 0, "privileged false");
    is_str(c->sec.cap_add[0], "CAP_NET_ADMIN", "capability normalised");
    is_str(c->sec.cap_add[1], "CAP_SYS_TIME", "lower case with cap_ normalised");
    is_str(c->sec.cap_drop[0], "ALL", "ALL kept");
    is_int(c->sec.read_only_root_fs, 1, "readOnlyRootFilesystem");
    is_int(c->sec.allow_privilege_escalation, 0, "allowPrivilegeEscalation");
    expect_err(POD_HEAD
               "  securityContext: {runAsNonRoot: true}\n"
               "  containers:\n  - name: a\n    image: x\n    securityContext: {runAsUser: 0}\n",
               "runAsNonRoot is true but runAsUser is 0", "runAsNonRoot with uid 0");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n"
                        "    securityContext: {seccompProfile: {type: Localhost}}\n",
               "localhostProfile: required", "Localhost without profile");
}

static void
test_volumes(void)
{
    const char *y = POD_HEAD "  containers:\n  - name: a\n    image: x\n    volumeMounts:\n"
                             "    - {name: cache, mountPath: /cache}\n"
                             "    - {name: mem, mountPath: /mem, subPath: sub/dir}\n"
                             "    - {name: host, mountPath: /host, readOnly: true}\n"
                             "    - {name: data, mountPath: /data}\n"
                             "  volumes:\n"
                             "  - {name: cache, emptyDir: {}}\n"
                             "  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n"
                             "  - {name: host, hostPath: {path: /srv, type: Directory}}\n"
                             "  - {name: data, persistentVolumeClaim: {claimName: pgdata}}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "volumes parse");
    if (m == NULL)
        return;
    const struct kpod_pod *p = &m->pods[0];
    is_int(p->volumes[0].type, KPOD_VOLUME_EMPTYDIR, "emptyDir");
    ok(!p->volumes[0].memory, "default medium");
    ok(p->volumes[1].memory, "medium Memory");
    is_int(p->volumes[1].size_limit, 64 << 20, "sizeLimit");
    is_int(p->volumes[2].hostpath_type, KPOD_HOSTPATH_DIRECTORY, "hostPath type");
    is_str(p->volumes[3].claim, "pgdata", "claim");
    is_str(p->containers[0].mounts[1].sub_path, "sub/dir", "subPath");
    ok(m->warnings == NULL, "no warnings for these volumes");
    _cleanup_manifest_ struct kpod_manifest *m2 =
        parse(POD_HEAD "  containers:\n  - name: a\n    image: x\n"
                       "    resources: {limits: {ephemeral-storage: 1Gi}}\n"
                       "  volumes: [{name: d, emptyDir: {sizeLimit: 1Gi}}]\n",
              NULL);
    ok(m2 && has_warning(m2, "spec.volumes[0].emptyDir.sizeLimit: not enforced"),
       "disk emptyDir sizeLimit warned");
    ok(m2 && has_warning(m2, "resources.limits.ephemeral-storage: not enforced by kpod"),
       "ephemeral-storage limit warned");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n  volumes:\n"
                        "  - {name: v, nfs: {server: a, path: /}}\n",
               "spec.volumes[0].nfs: volume type not supported", "unsupported volume type");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n  volumes:\n"
                        "  - {name: v, emptyDir: {}, hostPath: {path: /x}}\n",
               "needs exactly one volume source", "two sources");
    expect_err(POD_HEAD "  containers: [{name: a, image: x}]\n  volumes:\n"
                        "  - {name: v, configMap: {name: nope}}\n",
               "volume 'v': ConfigMap 'nope' not found", "volume of a missing ConfigMap");
    expect_err(POD_HEAD "  containers:\n  - name: a\n    image: x\n    volumeMounts:\n"
                        "    - {name: v, mountPath: /x, subPath: ../etc}\n"
                        "  volumes: [{name: v, emptyDir: {}}]\n",
               "subPath: '../etc' must not contain '..'", "subPath escaping");
}

static void
test_later_configmap(void)
{
    const char *y =
        POD_HEAD "  containers:\n  - name: a\n    image: x\n"
                 "    envFrom: [{configMapRef: {name: late}}]\n"
                 "  volumes: [{name: v, configMap: {name: late, items: [{key: k, path: f}]}}]\n"
                 "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\n"
                 "data: {k: v}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "a ConfigMap may come after the pod");
    expect_err(POD_HEAD
               "  containers: [{name: a, image: x}]\n"
               "  volumes: [{name: v, configMap: {name: late, items: [{key: nope, path: f}]}}]\n"
               "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {k: v}\n",
               "key 'nope' not found in ConfigMap 'late'", "item with a missing key");
}

static void
test_limits(void)
{
    /* billion laughs */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    expect_err(bomb, "t.yaml:6:", "alias bomb fails at its position");
    expect_err(bomb, "YAML bomb", "alias bomb named");
    size_t depth = 200;
    char *deep = xmalloc(depth * 2 + 16);
    char *p = deep;
    p += sprintf(p, "a: ");
    for (size_t i = 0; i < depth; i++)
        *p++ = '[';
    for (size_t i = 0; i < depth; i++)
        *p++ = ']';
    *p++ = '\n', *p = '\0';
    expect_err(deep, "nesting deeper than 64 levels", "deep nesting refused");
    free(deep);
    size_t big = KPOD_MANIFEST_MAX_SIZE + 1;
    char *huge = xmalloc(big + 1);
    memset(huge, '#', big);
    huge[big] = '\0';
    expect_err(huge, "larger than", "oversized input refused");
    free(huge);
    /* many nodes */
    size_t n = KPOD_MANIFEST_MAX_NODES + 10;
    char *wide = xmalloc(n * 3 + 16);
    p = wide;
    p += sprintf(p, "a: [");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "1,");
    p += sprintf(p, "1]\n");
    expect_err(wide, "more than 200000 nodes", "too many nodes refused");
    free(wide);
    expect_err("a: b\0c", "", "NUL bytes");
    struct kpod_err *err = NULL;
    struct kpod_manifest *m = kpod_manifest_parse_buffer("t.yaml", "a: b\0c", 6, &err);
    ok(m == NULL && err && strstr(err->msg, "NUL byte"), "embedded NUL refused");
    kpod_err_free(&err);
}

static void
test_many_warnings(void)
{
    size_t n = 500, cap = 64 + n * 16;
    char *y = xmalloc(cap + 256);
    char *p = y + sprintf(y, POD_HEAD "  containers:\n  - name: a\n    image: x\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "    junk%zu: 1\n", i);
    p += sprintf(p, "    %0200d: 1\n", 7);
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    free(y);
    if (!ok(m != NULL, "500 unknown fields parse"))
        return;
    is_int(kpod_strv_len(m->warnings), KPOD_MANIFEST_MAX_WARNINGS + 1, "warnings are capped");
    ok(has_warning(m, "more than 100 warnings: the rest are not shown"), "and say so");
}

static void
test_merge_keys(void)
{
    const char *y = POD_HEAD "  containers:\n"
                             "  - &base\n    name: a\n    image: busybox\n    tty: true\n"
                             "  - <<: *base\n    name: b\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "merge keys and aliases");
    if (m == NULL)
        return;
    is_str(m->pods[0].containers[1].name, "b", "explicit key wins over merged");
    is_str(m->pods[0].containers[1].image, "busybox", "merged key");
    ok(m->pods[0].containers[1].tty, "merged bool");
}

static void
test_pull_policy_and_host_network(void)
{
    const char *y = POD_HEAD "  hostNetwork: true\n  containers:\n"
                             "  - {name: a, image: busybox, ports: [{containerPort: 80}]}\n"
                             "  - {name: b, image: 'busybox:1.36'}\n"
                             "  - {name: c, image: 'reg:5000/x/busybox:latest'}\n"
                             "  - {name: d, image: 'reg:5000/busybox'}\n"
                             "  - {name: e, image: 'busybox@sha256:0123', imagePullPolicy: Never}\n"
                             "  - {name: f, image: 'busybox@sha256:0123'}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    if (!ok(m != NULL, "pull policies parse"))
        return;
    const struct kpod_container *c = m->pods[0].containers;
    is_int(kpod_container_pull_policy(&c[0]), KPOD_PULL_ALWAYS, "no tag: Always");
    is_int(kpod_container_pull_policy(&c[1]), KPOD_PULL_IF_NOT_PRESENT, "a tag: IfNotPresent");
    is_int(kpod_container_pull_policy(&c[2]), KPOD_PULL_ALWAYS, ":latest: Always");
    is_int(kpod_container_pull_policy(&c[3]), KPOD_PULL_ALWAYS, "registry port is not a tag");
    is_int(kpod_container_pull_policy(&c[4]), KPOD_PULL_NEVER, "explicit policy wins");
    is_int(kpod_container_pull_policy(&c[5]), KPOD_PULL_IF_NOT_PRESENT, "digest: IfNotPresent");
    is_int(c[0].ports[0].host_port, 80, "hostNetwork: hostPort defaults to containerPort");
    expect_err(POD_HEAD "  hostNetwork: true\n  containers:\n"
                        "  - {name: a, image: b, ports: [{containerPort: 80, hostPort: 8080}]}\n",
               "hostPort 8080 must equal containerPort 80 with hostNetwork", "hostNetwork ports");
    expect_err(POD_HEAD "  containers:\n"
                        "  - {name: a, image: b, ports: [{containerPort: 80, hostPort: 8080}]}\n"
                        "  - {name: c, image: b, ports: [{containerPort: 81, hostPort: 8080}]}\n",
               "hostPort 8080/TCP is used twice", "hostPort conflict");
}

static void
test_files(void)
{
    const char *dir = getenv("KPOD_TEST_FIXTURES");
    if (dir == NULL) {
        tap_skip(3, "KPOD_TEST_FIXTURES not set");
        return;
    }
    _cleanup_free_ char *a = xasprintf("%s/manifest/pod-with-cm.yaml", dir);
    _cleanup_free_ char *b = xasprintf("%s/manifest/cm.yaml", dir);
    char *paths[] = {a, b, NULL};
    struct kpod_err *err = NULL;
    _cleanup_manifest_ struct kpod_manifest *m = kpod_manifest_parse_files(paths, NULL, &err);
    ok(m != NULL, "two files, the ConfigMap in the second");
    if (err)
        diag("%s", err->msg);
    kpod_err_free(&err);
    _cleanup_free_ char *bad = xasprintf("%s/manifest/bad-image.yaml", dir);
    char *paths2[] = {bad, NULL};
    _cleanup_strv_ char **early = NULL;
    struct kpod_manifest *m2 = kpod_manifest_parse_files(paths2, &early, &err);
    ok(m2 == NULL && err != NULL &&
           strstr(err->msg, "bad-image.yaml:12:5: spec.containers[1].image: required"),
       "file error: %s", err ? err->msg : "");
    kpod_err_free(&err);
    char *paths3[] = {"/nonexistent.yaml", NULL};
    ok(kpod_manifest_parse_files(paths3, NULL, &err) == NULL && err != NULL, "missing file");
    kpod_err_free(&err);
}

int
main(void)
{
    test_basic_pod();
    test_positions();
    test_unknown_fields();
    test_duplicates();
    test_init_order();
    test_sidecars();
    test_quantities();
    test_signals();
    test_names();
    test_octal_modes();
    test_keysets();
    test_env();
    test_workloads();
    test_security();
    test_volumes();
    test_later_configmap();
    test_limits();
    test_merge_keys();
    test_many_warnings();
    test_files();
    test_pull_policy_and_host_network();
    return tap_done();
}
