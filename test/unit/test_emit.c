/* lib/manifest emit.c: every field of the model survives parse → emit → parse, strings a YAML
 * 1.1 reader would misread are quoted, workloads, Services, ConfigMaps and Secrets. */
#include "manifest/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* ---- a dump of every field of the model, to compare two models ---- */

static void
d_str(FILE *f, const char *k, const char *v)
{
    fprintf(f, "%s=%s%s%s\n", k, v ? "'" : "", v ? v : "(null)", v ? "'" : "");
}

static void
d_strv(FILE *f, const char *k, char *const *v)
{
    fprintf(f, "%s=", k);
    if (v == NULL)
        fprintf(f, "(null)");
    for (; v && *v; v++)
        fprintf(f, "['%s']", *v);
    fprintf(f, "\n");
}

static void
d_kv(FILE *f, const char *k, const struct kpod_kvlist *l)
{
    fprintf(f, "%s:", k);
    for (size_t i = 0; i < l->n; i++) {
        fprintf(f, " '%s'=", l->items[i].key);
        if (l->items[i].value == NULL)
            fprintf(f, "(null)");
        else
            for (size_t j = 0; j < (l->items[i].len ? l->items[i].len : strlen(l->items[i].value));
                 j++)
                fprintf(f, "%02x", (unsigned char)l->items[i].value[j]);
    }
    fprintf(f, "\n");
}

static void
d_seccomp(FILE *f, const struct kpod_seccomp_profile *s)
{
    fprintf(f, "seccomp=%d ", s->type);
    d_str(f, "localhost", s->localhost_profile);
}

static void
d_handler(FILE *f, const char *k, const struct kpod_handler *h)
{
    fprintf(f, "%s type=%d port=%d ", k, h->type, h->port);
    d_strv(f, "exec", h->command);
    d_str(f, " host", h->host);
    d_str(f, " portName", h->port_name);
    d_str(f, " path", h->path);
    d_kv(f, " headers", &h->headers);
}

static void
d_probe(FILE *f, const char *k, const struct kpod_probe *p)
{
    fprintf(f, "%s set=%d %d %d %d %d %d %lld ", k, p->set, p->initial_delay_seconds,
            p->period_seconds, p->timeout_seconds, p->success_threshold, p->failure_threshold,
            p->termination_grace_seconds);
    d_handler(f, "handler", &p->handler);
}

static void
d_container(FILE *f, const struct kpod_container *c)
{
    d_str(f, "ctr", c->name);
    d_str(f, "image", c->image);
    fprintf(f, "pull=%d init=%d sidecar=%d tty=%d stdin=%d once=%d stopsig=%d\n", c->pull_policy,
            c->init, c->sidecar, c->tty, c->stdin_open, c->stdin_once, c->stop_signal);
    d_strv(f, "command", c->command);
    d_strv(f, "args", c->args);
    d_str(f, "workingDir", c->working_dir);
    for (size_t i = 0; i < c->n_env; i++) {
        const struct kpod_env_var *e = &c->env[i];
        fprintf(f, "env src=%d opt=%d div=%lld ", e->source, e->optional, e->divisor);
        d_str(f, "name", e->name);
        d_str(f, " value", e->value);
        d_str(f, " ref", e->ref_name);
        d_str(f, " key", e->ref_key);
        d_str(f, " field", e->field_path);
        d_str(f, " res", e->resource);
        d_str(f, " resctr", e->resource_ctr);
    }
    for (size_t i = 0; i < c->n_env_from; i++) {
        fprintf(f, "envFrom kind=%d opt=%d ", c->env_from[i].kind, c->env_from[i].optional);
        d_str(f, "name", c->env_from[i].name);
        d_str(f, " prefix", c->env_from[i].prefix);
    }
    for (size_t i = 0; i < c->n_ports; i++) {
        const struct kpod_port *p = &c->ports[i];
        fprintf(f, "port %d %d ", p->container_port, p->host_port);
        d_str(f, "name", p->name);
        d_str(f, " hostIP", p->host_ip);
        d_str(f, " proto", p->protocol);
    }
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct kpod_volume_mount *m = &c->mounts[i];
        fprintf(f, "mount ro=%d ", m->read_only);
        d_str(f, "name", m->name);
        d_str(f, " path", m->mount_path);
        d_str(f, " sub", m->sub_path);
        d_str(f, " prop", m->mount_propagation);
    }
    const struct kpod_resources *r = &c->resources;
    fprintf(f, "res %lld %lld %lld %lld %lld %lld %lld\n", r->cpu_limit, r->cpu_request,
            r->mem_limit, r->mem_request, r->eph_limit, r->eph_request, r->hugepages_2mi_limit);
    const struct kpod_security_context *s = &c->sec;
    fprintf(f, "sec %d %d %d %d %lld %lld\n", s->privileged, s->read_only_root_fs,
            s->allow_privilege_escalation, s->run_as_non_root, s->run_as_user, s->run_as_group);
    d_strv(f, "capadd", s->cap_add);
    d_strv(f, "capdrop", s->cap_drop);
    d_str(f, "procMount", s->proc_mount);
    d_seccomp(f, &s->seccomp);
    d_handler(f, "postStart", &c->post_start);
    d_handler(f, "preStop", &c->pre_stop);
    d_probe(f, "liveness", &c->liveness);
    d_probe(f, "readiness", &c->readiness);
    d_probe(f, "startup", &c->startup);
    d_str(f, "termMsgPath", c->termination_message_path);
}

static void
d_volume(FILE *f, const struct kpod_volume *v)
{
    fprintf(f, "volume type=%d mem=%d size=%lld hp=%d mode=%o opt=%d ro=%d\n", v->type, v->memory,
            v->size_limit, v->hostpath_type, (unsigned)v->default_mode, v->optional, v->read_only);
    d_str(f, "name", v->name);
    d_str(f, "path", v->path);
    d_str(f, "source", v->source);
    d_str(f, "claim", v->claim);
    for (size_t i = 0; i < v->n_items; i++) {
        fprintf(f, "item mode=%d ", v->items[i].mode);
        d_str(f, "key", v->items[i].key);
        d_str(f, " path", v->items[i].path);
    }
}

static void
d_pod(FILE *f, const struct kpod_pod *p)
{
    d_str(f, "pod", p->name);
    d_str(f, "namespace", p->namespace);
    d_str(f, "kind", p->kind);
    d_str(f, "owner", p->owner_name);
    d_kv(f, "labels", &p->labels);
    d_kv(f, "annotations", &p->annotations);
    fprintf(f, "n=%zu init=%zu restart=%d net=%d pid=%d ipc=%d share=%d\n", p->n_containers,
            p->n_init, p->restart_policy, p->host_network, p->host_pid, p->host_ipc, p->share_pid);
    for (size_t i = 0; i < p->n_containers; i++)
        d_container(f, &p->containers[i]);
    for (size_t i = 0; i < p->n_volumes; i++)
        d_volume(f, &p->volumes[i]);
    d_str(f, "hostname", p->hostname);
    d_str(f, "subdomain", p->subdomain);
    d_str(f, "dnsPolicy", p->dns_policy);
    d_strv(f, "nameservers", p->dns_nameservers);
    d_strv(f, "searches", p->dns_searches);
    d_kv(f, "dnsOptions", &p->dns_options);
    for (size_t i = 0; i < p->n_host_aliases; i++) {
        d_str(f, "alias", p->host_aliases[i].ip);
        d_strv(f, " hostnames", p->host_aliases[i].hostnames);
    }
    fprintf(f, "podsec %lld %lld %lld %d grace=%lld deadline=%lld\n", p->run_as_user,
            p->run_as_group, p->fs_group, p->run_as_non_root, p->termination_grace_seconds,
            p->active_deadline_seconds);
    for (size_t i = 0; i < p->n_supplemental_groups; i++)
        fprintf(f, "group %lld\n", p->supplemental_groups[i]);
    d_kv(f, "sysctls", &p->sysctls);
    d_seccomp(f, &p->seccomp);
}

/* The model as text: pods, then the keysets sorted by kind and name. */
static char *
dump(const struct kpod_manifest *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < m->n_pods; i++)
        d_pod(f, &m->pods[i]);
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < m->n_keysets; i++) {
            const struct kpod_keyset *ks = &m->keysets[i];
            if ((int)ks->kind != kind)
                continue;
            fprintf(f, "keyset %d immutable=%d ", ks->kind, ks->immutable);
            d_str(f, "name", ks->name);
            d_str(f, "namespace", ks->namespace);
            d_kv(f, "data", &ks->data);
        }
    }
    fclose(f);
    return buf;
}

static struct kpod_manifest *
parse(const char *yaml)
{
    struct kpod_err *err = NULL;
    struct kpod_manifest *m = kpod_manifest_parse_buffer("t.yaml", yaml, strlen(yaml), &err);
    if (err != NULL)
        diag("parse error: %s\n%s", err->msg, yaml);
    kpod_err_free(&err);
    return m;
}

static char *
emit_all(const struct kpod_manifest *m, const struct kpod_emit_opts *o)
{
    struct kpod_emit_item items[8];
    for (size_t i = 0; i < m->n_pods && i < 8; i++)
        items[i] = (struct kpod_emit_item){m, &m->pods[i]};
    struct kpod_err *err = NULL;
    char *out = NULL;
    size_t len = 0;
    if (kpod_manifest_emit(items, m->n_pods, o, &out, &len, &err) < 0) {
        diag("emit error: %s", err->msg);
        kpod_err_free(&err);
        return NULL;
    }
    if (strlen(out) != len)
        diag("length %zu != %zu", strlen(out), len);
    return out;
}

/* parse(yaml) and parse(emit(parse(yaml))) must dump the same; returns the emitted YAML. */
static char *
round_trip(const char *yaml, const char *what)
{
    _cleanup_manifest_ struct kpod_manifest *a = parse(yaml);
    if (!ok(a != NULL, "%s: parses", what))
        return NULL;
    char *out = emit_all(a, &(struct kpod_emit_opts){0});
    _cleanup_manifest_ struct kpod_manifest *b = out ? parse(out) : NULL;
    if (!ok(b != NULL, "%s: emitted YAML parses", what)) {
        free(out);
        return NULL;
    }
    _cleanup_free_ char *da = dump(a), *db = dump(b);
    if (!ok(strcmp(da, db) == 0, "%s: same model after the round trip", what))
        diag("before:\n%s\nafter:\n%s\nyaml:\n%s", da, db, out);
    ok(b->warnings == NULL || strcmp(yaml, out) == 0 || a->warnings != NULL, "%s: no new warnings",
       what);
    return out;
}

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"

/* Every field of the model set to something other than its default. */
static const char every_field[] =
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: everything\n"
    "  namespace: team-a\n"
    "  labels: {app: web, tier: 'yes', version: '1.0'}\n"
    "  annotations: {example.com/note: 'on', example.com/empty: ''}\n"
    "spec:\n"
    "  restartPolicy: OnFailure\n"
    "  hostname: box\n"
    "  subdomain: sub\n"
    "  hostIPC: true\n"
    "  shareProcessNamespace: true\n"
    "  dnsPolicy: None\n"
    "  dnsConfig:\n"
    "    nameservers: [10.0.0.2]\n"
    "    searches: [corp.example]\n"
    "    options: [{name: ndots, value: '2'}, {name: edns0}]\n"
    "  hostAliases: [{ip: 10.0.0.10, hostnames: [db.internal, db]}]\n"
    "  securityContext:\n"
    "    runAsUser: 1000\n"
    "    runAsGroup: 1001\n"
    "    runAsNonRoot: true\n"
    "    fsGroup: 2000\n"
    "    supplementalGroups: [3000, 3001]\n"
    "    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: '80'}]\n"
    "    seccompProfile: {type: Localhost, localhostProfile: profiles/x.json}\n"
    "  terminationGracePeriodSeconds: 5\n"
    "  activeDeadlineSeconds: 600\n"
    "  initContainers:\n"
    "  - name: init\n"
    "    image: busybox:1.36\n"
    "    command: [sh, -c, 'echo init']\n"
    "  - name: proxy\n"
    "    image: busybox:1.36\n"
    "    restartPolicy: Always\n"
    "    command: [sleep, '1000']\n"
    "  containers:\n"
    "  - name: app\n"
    "    image: registry.example/app@sha256:"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "    imagePullPolicy: IfNotPresent\n"
    "    command: [sh, -c]\n"
    "    args: [\"line one\\nline two\\n\", 'yes', '0755', '1e3', '~', '', ' lead', 'a: b', "
    "'- x', '#c', '@at', '\"q\"', \"it's\", 'tab\\there', '1:20', '2024-01-01', '0x1F', "
    "'.inf', 'NULL', 'Off', 'y', '<<', '=', '!tag', '&a', '*b', '%p', '|', '>', '[', '{', "
    "'ünïcödé', 'trailing ', \"ctl\\x01\", \"cr\\r\\n\", \"bell\\a\\ttab\", '0o17', "
    "'+1', '-', 'True', 'FALSE', '10.0.0.1', '1.2.3']\n"
    "    workingDir: /srv\n"
    "    env:\n"
    "    - {name: PLAIN, value: hello}\n"
    "    - {name: NUMBER, value: '8080'}\n"
    "    - {name: FLOAT, value: '1.5'}\n"
    "    - {name: BOOL, value: 'true'}\n"
    "    - {name: OCTAL, value: '0644'}\n"
    "    - {name: EMPTY, value: ''}\n"
    "    - {name: REF, value: 'hello $(PLAIN)'}\n"
    "    - name: CM\n"
    "      valueFrom: {configMapKeyRef: {name: settings, key: MODE, optional: true}}\n"
    "    - name: SEC\n"
    "      valueFrom: {secretKeyRef: {name: creds, key: password}}\n"
    "    - name: POD\n"
    "      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}\n"
    "    - name: CPU\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}\n"
    "    - name: MEM\n"
    "      valueFrom: {resourceFieldRef: {containerName: init, resource: requests.memory, "
    "divisor: 1Mi}}\n"
    "    envFrom:\n"
    "    - {configMapRef: {name: settings}, prefix: APP_}\n"
    "    - {secretRef: {name: creds, optional: true}}\n"
    "    ports:\n"
    "    - {name: http, containerPort: 8080, hostPort: 18080, hostIP: 127.0.0.1}\n"
    "    - {containerPort: 53, protocol: UDP}\n"
    "    volumeMounts:\n"
    "    - {name: scratch, mountPath: /scratch}\n"
    "    - {name: host, mountPath: /host, readOnly: true, mountPropagation: HostToContainer}\n"
    "    - {name: cfg, mountPath: /etc/app, subPath: sub/dir}\n"
    "    - {name: sec, mountPath: /run/secrets/x}\n"
    "    - {name: data, mountPath: /data}\n"
    "    resources:\n"
    "      limits: {cpu: '1.5', memory: 256Mi, hugepages-2Mi: 4Mi}\n"
    "      requests: {cpu: 250m, memory: 1000, ephemeral-storage: 1Gi}\n"
    "    securityContext:\n"
    "      privileged: false\n"
    "      readOnlyRootFilesystem: true\n"
    "      allowPrivilegeEscalation: false\n"
    "      runAsNonRoot: false\n"
    "      runAsUser: 0\n"
    "      runAsGroup: 0\n"
    "      capabilities: {add: [NET_ADMIN, cap_sys_time], drop: [ALL]}\n"
    "      procMount: Unmasked\n"
    "      seccompProfile: {type: Unconfined}\n"
    "    tty: true\n"
    "    stdin: true\n"
    "    stdinOnce: true\n"
    "    lifecycle:\n"
    "      postStart: {exec: {command: [sh, -c, 'echo started']}}\n"
    "      preStop: {httpGet: {path: /quit, port: http, host: 10.0.0.1}}\n"
    "      stopSignal: SIGINT\n"
    "    livenessProbe:\n"
    "      exec: {command: [cat, /tmp/healthy]}\n"
    "      initialDelaySeconds: 5\n"
    "      periodSeconds: 7\n"
    "      timeoutSeconds: 2\n"
    "      successThreshold: 1\n"
    "      failureThreshold: 4\n"
    "      terminationGracePeriodSeconds: 3\n"
    "    readinessProbe:\n"
    "      httpGet: {path: '/ready?x=1', port: 8080, httpHeaders: [{name: X-A, value: b}]}\n"
    "    startupProbe: {tcpSocket: {port: http}, failureThreshold: 30}\n"
    "    terminationMessagePath: /dev/termination-log\n"
    "  volumes:\n"
    "  - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n"
    "  - {name: disk, emptyDir: {}}\n"
    "  - {name: host, hostPath: {path: /var/log, type: Directory}}\n"
    "  - name: cfg\n"
    "    configMap:\n"
    "      name: settings\n"
    "      items: [{key: MODE, path: mode.txt, mode: 0600}, {key: LEVEL, path: a/level}]\n"
    "      defaultMode: 0444\n"
    "      optional: true\n"
    "  - {name: sec, secret: {secretName: creds, defaultMode: 0400}}\n"
    "  - {name: data, persistentVolumeClaim: {claimName: data-claim, readOnly: true}}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata: {name: settings, namespace: team-a}\n"
    "immutable: true\n"
    "data: {MODE: production, LEVEL: 'no', PORT: '8080', TEXT: \"a\\nb\\n\"}\n"
    "binaryData: {BLOB: AAEC/w==}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata: {name: creds, namespace: team-a}\n"
    "data: {username: YXBw}\n"
    "stringData: {password: s3cr3t}\n";

static void
test_every_field(void)
{
    _cleanup_free_ char *out = round_trip(every_field, "every field");
    if (out == NULL)
        return;
    /* the YAML 1.1 words and numbers stay strings: quoted */
    const char *quoted[] = {
        "- \"yes\"",       "- \"0755\"",       "- \"1e3\"",        "- \"~\"",
        "- \"\"",          "- \"1:20\"",       "- \"0x1F\"",       "- \".inf\"",
        "- \"NULL\"",      "- \"Off\"",        "- \"y\"",          "- \"<<\"",
        "- \"=\"",         "value: \"8080\"",  "value: \"1.5\"",   "value: \"true\"",
        "value: \"0644\"", "tier: \"yes\"",    "version: \"1.0\"", "example.com/note: \"on\"",
        "LEVEL: \"no\"",   "- \"2024-01-01\"", "cpu: 1500m",       "value: \"2\""};
    for (size_t i = 0; i < ARRAY_SIZE(quoted); i++)
        if (!ok(strstr(out, quoted[i]) != NULL, "quoted: %s", quoted[i]))
            diag("%s", out);
    const char *present[] = {"- |\n",
                             "username: YXBw\n",
                             "password: czNjcjN0\n",
                             "BLOB: AAEC/w==\n",
                             "binaryData:",
                             "kind: ConfigMap",
                             "kind: Secret",
                             "defaultMode: 292\n",
                             "mode: 384\n",
                             "stopSignal: SIGINT",
                             "- NET_ADMIN",
                             "- SYS_TIME",
                             "memory: 256Mi\n",
                             "memory: \"1000\"\n",
                             "limits:\n",
                             "namespace: team-a\n",
                             "hostPort: 18080\n",
                             "protocol: UDP\n"};
    for (size_t i = 0; i < ARRAY_SIZE(present); i++)
        if (!ok(strstr(out, present[i]) != NULL, "emitted: %s", present[i]))
            diag("%s", out);
    const char *plain_ok[] = {"- 10.0.0.1\n", "- 1.2.3\n",   "- \"0o17\"",    "- \"+1\"",
                              "- \"True\"",   "- \"FALSE\"", "- \"ctl\\x01\""};
    for (size_t i = 0; i < ARRAY_SIZE(plain_ok); i++)
        if (!ok(strstr(out, plain_ok[i]) != NULL, "scalar: %s", plain_ok[i]))
            diag("%s", out);
    ok(strstr(out, "- \"@at\"") != NULL || strstr(out, "- '@at'") != NULL,
       "an indicator character is quoted by libyaml");
}

static void
test_host_namespaces(void)
{
    const char *y = HEAD "spec:\n  hostNetwork: true\n  hostPID: true\n  dnsPolicy: "
                         "ClusterFirstWithHostNet\n  restartPolicy: Never\n  containers:\n"
                         "  - {name: app, image: busybox, ports: [{containerPort: 80, hostPort: "
                         "80}], volumeMounts: [{name: h, mountPath: /h}]}\n  volumes:\n"
                         "  - {name: h, hostPath: {path: /tmp, type: DirectoryOrCreate}}\n";
    _cleanup_free_ char *out = round_trip(y, "host namespaces");
    ok(out && strstr(out, "hostNetwork: true\n") && strstr(out, "hostPID: true\n") &&
           strstr(out, "type: DirectoryOrCreate\n"),
       "hostNetwork, hostPID, hostPath type");
}

static void
test_defaults_left_out(void)
{
    const char *y = HEAD "spec:\n  containers:\n  - {name: app, image: busybox}\n";
    _cleanup_free_ char *out = round_trip(y, "minimal pod");
    if (out == NULL)
        return;
    const char *want = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
                       "  - name: app\n    image: busybox\n  restartPolicy: Always\n";
    if (!ok(strstr(out, want) != NULL, "minimal pod: only what was given, and the policy"))
        diag("%s", out);
}

static void
test_workloads(void)
{
    const char *dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, labels: "
                      "{app: api}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n"
                      "  template:\n    metadata: {labels: {app: api}, annotations: {a: b}}\n"
                      "    spec:\n      containers: [{name: c, image: busybox}]\n";
    free(round_trip(dep, "Deployment"));
    const char *job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: report}\nspec:\n"
                      "  template:\n    spec:\n      restartPolicy: OnFailure\n"
                      "      containers: [{name: c, image: busybox}]\n";
    free(round_trip(job, "Job"));
    const char *ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n"
                     "  template:\n    metadata: {labels: {app: agent}}\n    spec:\n"
                     "      containers: [{name: c, image: busybox}]\n";
    free(round_trip(ds, "DaemonSet"));
    const char *reps = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                       "  replicas: 2\n  template:\n    metadata: {labels: {app: web}}\n"
                       "    spec:\n      containers: [{name: c, image: busybox}]\n";
    char *r = round_trip(reps, "Deployment with 2 replicas");
    ok(r && strstr(r, "replicas: 2\n"), "the replicas are one Deployment of replicas 2");
    ok(r && strstr(strstr(r, "kind: Deployment") + 1, "kind: Deployment") == NULL,
       "one document for both replicas");
    free(r);
    const char *jobspec = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n"
                          "  completions: 3\n  parallelism: 2\n  backoffLimit: 1\n"
                          "  activeDeadlineSeconds: 60\n  ttlSecondsAfterFinished: 30\n"
                          "  template:\n    spec:\n"
                          "      restartPolicy: Never\n"
                          "      containers: [{name: c, image: busybox}]\n";
    r = round_trip(jobspec, "Job spec");
    ok(r && strstr(r, "completions: 3\n  parallelism: 2\n  backoffLimit: 1\n"
                      "  activeDeadlineSeconds: 60\n  ttlSecondsAfterFinished: 30\n"),
       "the Job's spec is emitted");
    free(r);

    /* a Pod as a Deployment and as a Job */
    const char *pod = HEAD "spec:\n  containers:\n  - name: app\n    image: busybox\n"
                           "    ports: [{containerPort: 80, hostPort: 30080}, {containerPort: "
                           "9000, protocol: UDP}]\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(pod);
    if (m == NULL)
        return;
    _cleanup_free_ char *d = emit_all(m, &(struct kpod_emit_opts){KPOD_EMIT_DEPLOYMENT, 3, true});
    _cleanup_manifest_ struct kpod_manifest *dm = d ? parse(d) : NULL;
    ok(dm != NULL && dm->n_pods == 3 && strcmp(dm->pods[0].kind, "Deployment") == 0 &&
           strcmp(dm->pods[0].owner_name, "web-deployment") == 0,
       "pod as a Deployment named web-deployment");
    ok(d && strstr(d, "replicas: 3\n") && strstr(d, "matchLabels:\n      app: web-deployment\n"),
       "replicas and a selector on app=NAME when the pod has no labels");
    ok(d && strstr(d, "kind: Service") && strstr(d, "type: NodePort") &&
           strstr(d, "nodePort: 30080") && strstr(d, "name: 9000-udp") &&
           strstr(d, "selector:\n    app: web-deployment"),
       "Service: NodePort, ports, selector");
    if (d == NULL || strstr(d, "nodePort: 30080") == NULL)
        diag("%s", d ? d : "");
    _cleanup_free_ char *j = emit_all(m, &(struct kpod_emit_opts){.kind = KPOD_EMIT_JOB});
    _cleanup_manifest_ struct kpod_manifest *jm = j ? parse(j) : NULL;
    ok(jm != NULL && strcmp(jm->pods[0].kind, "Job") == 0 &&
           jm->pods[0].restart_policy == KPOD_RESTART_ON_FAILURE && strstr(j, "selector") == NULL,
       "pod as a Job: OnFailure, no selector");

    const char *never = HEAD "spec:\n  restartPolicy: Never\n  containers: [{name: a, image: b}]\n";
    _cleanup_manifest_ struct kpod_manifest *nm = parse(never);
    struct kpod_emit_item it = {nm, nm ? &nm->pods[0] : NULL};
    struct kpod_err *err = NULL;
    char *out = NULL;
    size_t len = 0;
    ok(nm &&
           kpod_manifest_emit(&it, 1, &(struct kpod_emit_opts){KPOD_EMIT_DEPLOYMENT, 0, false},
                              &out, &len, &err) < 0 &&
           strstr(err->msg, "a Deployment needs Always"),
       "a Deployment of a pod that does not restart is refused");
    kpod_err_free(&err);
    free(out);
}

static void
test_service_cluster_ip(void)
{
    const char *y = HEAD "  labels: {app: web}\nspec:\n  containers:\n  - name: a\n    image: b\n"
                         "    ports: [{containerPort: 8080}]\n  - name: c\n    image: d\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y);
    _cleanup_free_ char *s = m ? emit_all(m, &(struct kpod_emit_opts){.service = true}) : NULL;
    ok(s && strstr(s, "type: ClusterIP") && strstr(s, "port: 8080") &&
           strstr(s, "selector:\n    app: web\n") && !strstr(s, "nodePort"),
       "Service without host ports: ClusterIP on the pod's labels");
    const char *noports = HEAD "spec:\n  containers: [{name: a, image: b}]\n";
    _cleanup_manifest_ struct kpod_manifest *m2 = parse(noports);
    _cleanup_free_ char *s2 = m2 ? emit_all(m2, &(struct kpod_emit_opts){.service = true}) : NULL;
    _cleanup_manifest_ struct kpod_manifest *back = s2 ? parse(s2) : NULL;
    ok(s2 && strstr(s2, "clusterIP: None") && back && back->pods[0].labels.n == 1,
       "Service without ports is headless; the pod gets app=NAME");
}

static void
test_unused_keyset(void)
{
    const char *y = HEAD "spec:\n  containers: [{name: a, image: b}]\n---\napiVersion: v1\n"
                         "kind: ConfigMap\nmetadata: {name: unused}\ndata: {X: y}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y);
    _cleanup_free_ char *out = m ? emit_all(m, &(struct kpod_emit_opts){0}) : NULL;
    ok(out && strstr(out, "unused") == NULL, "a ConfigMap no pod uses is left out");
}

static void
test_several_pods(void)
{
    const char *y = HEAD "spec:\n  containers: [{name: a, image: b, envFrom: [{configMapRef: "
                         "{name: cm}}]}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: two}\n"
                         "spec:\n  containers: [{name: a, image: b, env: [{name: X, valueFrom: "
                         "{configMapKeyRef: {name: cm, key: k}}}]}]\n---\napiVersion: v1\n"
                         "kind: ConfigMap\nmetadata: {name: cm}\ndata: {k: v}\n";
    _cleanup_free_ char *out = round_trip(y, "two pods sharing a ConfigMap");
    const char *first = out ? strstr(out, "kind: ConfigMap") : NULL;
    ok(first != NULL && strstr(first + 1, "kind: ConfigMap") == NULL, "the shared ConfigMap once");
}

int
main(void)
{
    test_every_field();
    test_defaults_left_out();
    test_host_namespaces();
    test_workloads();
    test_service_cluster_ip();
    test_several_pods();
    test_unused_keyset();
    return tap_done();
}
