/* Emitting a pod spec: containers (env, ports, mounts, resources, securityContext, lifecycle,
 * probes), volumes, DNS, host aliases, the pod securityContext. One function per part, each
 * field where its Kubernetes name is: a new model field is one line in the part it belongs to. */
#include "manifest/internal.h"

#include <stdio.h>
#include <string.h>

static void
emit_seccomp(struct yemit *em, const struct kpod_seccomp_profile *sp)
{
    static const char *const types[] = {NULL, "RuntimeDefault", "Unconfined", "Localhost"};
    if (sp->type == KPOD_SECCOMP_UNSET)
        return;
    ye_key_map(em, "seccompProfile");
    ye_kv_str(em, "type", types[sp->type]);
    ye_kv_str(em, "localhostProfile", sp->localhost_profile);
    ye_map_end(em);
}

static void
emit_env_var(struct yemit *em, const struct kpod_env_var *e)
{
    ye_map_begin(em);
    ye_kv_str(em, "name", e->name);
    if (e->source == KPOD_ENV_VALUE) {
        if (e->value != NULL && *e->value != '\0')
            ye_kv_str(em, "value", e->value);
        ye_map_end(em);
        return;
    }
    ye_key_map(em, "valueFrom");
    switch (e->source) {
    case KPOD_ENV_CONFIGMAP_KEY:
    case KPOD_ENV_SECRET_KEY:
        ye_key_map(em, e->source == KPOD_ENV_CONFIGMAP_KEY ? "configMapKeyRef" : "secretKeyRef");
        ye_kv_str(em, "name", e->ref_name);
        ye_kv_str(em, "key", e->ref_key);
        if (e->optional)
            ye_kv_bool(em, "optional", true);
        ye_map_end(em);
        break;
    case KPOD_ENV_FIELD:
        ye_key_map(em, "fieldRef");
        ye_kv_str(em, "fieldPath", e->field_path);
        ye_map_end(em);
        break;
    case KPOD_ENV_RESOURCE: {
        bool cpu = strstr(e->resource, "cpu") != NULL;
        ye_key_map(em, "resourceFieldRef");
        ye_kv_str(em, "containerName", e->resource_ctr);
        ye_kv_str(em, "resource", e->resource);
        if (cpu && e->divisor != 1000)
            ye_kv_cpu(em, "divisor", e->divisor);
        else if (!cpu && e->divisor != 1)
            ye_kv_bytes(em, "divisor", e->divisor);
        ye_map_end(em);
        break;
    }
    case KPOD_ENV_VALUE:
        break;
    }
    ye_map_end(em);
    ye_map_end(em);
}

static void
emit_env(struct yemit *em, const struct kpod_container *c)
{
    if (c->n_env > 0) {
        ye_key_seq(em, "env");
        for (size_t i = 0; i < c->n_env; i++)
            emit_env_var(em, &c->env[i]);
        ye_seq_end(em);
    }
    if (c->n_env_from == 0)
        return;
    ye_key_seq(em, "envFrom");
    for (size_t i = 0; i < c->n_env_from; i++) {
        const struct kpod_env_from *f = &c->env_from[i];
        ye_map_begin(em);
        ye_key_map(em, f->kind == KPOD_KEYSET_CONFIGMAP ? "configMapRef" : "secretRef");
        ye_kv_str(em, "name", f->name);
        if (f->optional)
            ye_kv_bool(em, "optional", true);
        ye_map_end(em);
        ye_kv_str(em, "prefix", f->prefix);
        ye_map_end(em);
    }
    ye_seq_end(em);
}

static void
emit_ports(struct yemit *em, const struct kpod_container *c)
{
    if (c->n_ports == 0)
        return;
    ye_key_seq(em, "ports");
    for (size_t i = 0; i < c->n_ports; i++) {
        const struct kpod_port *p = &c->ports[i];
        ye_map_begin(em);
        ye_kv_str(em, "name", p->name);
        ye_kv_ll(em, "containerPort", p->container_port);
        if (p->host_port != 0)
            ye_kv_ll(em, "hostPort", p->host_port);
        ye_kv_str(em, "hostIP", p->host_ip);
        ye_kv_str(em, "protocol", p->protocol);
        ye_map_end(em);
    }
    ye_seq_end(em);
}

static void
emit_mounts(struct yemit *em, const struct kpod_container *c)
{
    if (c->n_mounts == 0)
        return;
    ye_key_seq(em, "volumeMounts");
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct kpod_volume_mount *vm = &c->mounts[i];
        ye_map_begin(em);
        ye_kv_str(em, "name", vm->name);
        ye_kv_str(em, "mountPath", vm->mount_path);
        ye_kv_str(em, "subPath", vm->sub_path);
        if (vm->read_only)
            ye_kv_bool(em, "readOnly", true);
        ye_kv_str(em, "mountPropagation", vm->mount_propagation);
        ye_map_end(em);
    }
    ye_seq_end(em);
}

static void
emit_resource_list(struct yemit *em, const char *k, long long cpu, long long mem, long long eph,
                   long long huge)
{
    if (cpu == KPOD_UNSET && mem == KPOD_UNSET && eph == KPOD_UNSET && huge == KPOD_UNSET)
        return;
    ye_key_map(em, k);
    if (cpu != KPOD_UNSET)
        ye_kv_cpu(em, "cpu", cpu);
    if (mem != KPOD_UNSET)
        ye_kv_bytes(em, "memory", mem);
    if (eph != KPOD_UNSET)
        ye_kv_bytes(em, "ephemeral-storage", eph);
    if (huge != KPOD_UNSET)
        ye_kv_bytes(em, "hugepages-2Mi", huge);
    ye_map_end(em);
}

static void
emit_resources(struct yemit *em, const struct kpod_resources *r)
{
    /* a request equal to its limit is what Kubernetes defaults it to: left out */
    long long cpu_req = r->cpu_request == r->cpu_limit ? KPOD_UNSET : r->cpu_request;
    long long mem_req = r->mem_request == r->mem_limit ? KPOD_UNSET : r->mem_request;
    if (r->cpu_limit == KPOD_UNSET && r->mem_limit == KPOD_UNSET && r->eph_limit == KPOD_UNSET &&
        r->hugepages_2mi_limit == KPOD_UNSET && cpu_req == KPOD_UNSET && mem_req == KPOD_UNSET &&
        r->eph_request == KPOD_UNSET)
        return;
    ye_key_map(em, "resources");
    emit_resource_list(em, "limits", r->cpu_limit, r->mem_limit, r->eph_limit,
                       r->hugepages_2mi_limit);
    emit_resource_list(em, "requests", cpu_req, mem_req, r->eph_request, KPOD_UNSET);
    ye_map_end(em);
}

/* Capabilities as Kubernetes writes them: without the CAP_ prefix. */
static void
emit_caps(struct yemit *em, const char *k, char *const *caps)
{
    if (caps == NULL)
        return;
    ye_key_seq(em, k);
    for (; *caps; caps++)
        ye_str(em, kpod_str_has_prefix(*caps, "CAP_") ? *caps + 4 : *caps);
    ye_seq_end(em);
}

static void
emit_ctr_security(struct yemit *em, const struct kpod_security_context *s)
{
    if (s->privileged < 0 && s->read_only_root_fs < 0 && s->allow_privilege_escalation < 0 &&
        s->run_as_non_root < 0 && s->run_as_user == KPOD_UNSET && s->run_as_group == KPOD_UNSET &&
        s->cap_add == NULL && s->cap_drop == NULL && s->proc_mount == NULL &&
        s->seccomp.type == KPOD_SECCOMP_UNSET)
        return;
    ye_key_map(em, "securityContext");
    ye_kv_tri(em, "privileged", s->privileged);
    ye_kv_tri(em, "readOnlyRootFilesystem", s->read_only_root_fs);
    ye_kv_tri(em, "allowPrivilegeEscalation", s->allow_privilege_escalation);
    ye_kv_tri(em, "runAsNonRoot", s->run_as_non_root);
    if (s->run_as_user != KPOD_UNSET)
        ye_kv_ll(em, "runAsUser", s->run_as_user);
    if (s->run_as_group != KPOD_UNSET)
        ye_kv_ll(em, "runAsGroup", s->run_as_group);
    if (s->cap_add != NULL || s->cap_drop != NULL) {
        ye_key_map(em, "capabilities");
        emit_caps(em, "add", s->cap_add);
        emit_caps(em, "drop", s->cap_drop);
        ye_map_end(em);
    }
    ye_kv_str(em, "procMount", s->proc_mount);
    emit_seccomp(em, &s->seccomp);
    ye_map_end(em);
}

static void
emit_exec(struct yemit *em, char *const *command)
{
    ye_key_map(em, "exec");
    ye_kv_strv(em, "command", command);
    ye_map_end(em);
}

static void
emit_lifecycle(struct yemit *em, const struct kpod_container *c)
{
    if (c->post_start.command == NULL && c->pre_stop.command == NULL && c->stop_signal == 0)
        return;
    ye_key_map(em, "lifecycle");
    if (c->post_start.command != NULL) {
        ye_key_map(em, "postStart");
        emit_exec(em, c->post_start.command);
        ye_map_end(em);
    }
    if (c->pre_stop.command != NULL) {
        ye_key_map(em, "preStop");
        emit_exec(em, c->pre_stop.command);
        ye_map_end(em);
    }
    if (c->stop_signal != 0)
        ye_kv_str(em, "stopSignal", kpod_signal_name(c->stop_signal));
    ye_map_end(em);
}

static void
emit_probe(struct yemit *em, const char *k, const struct kpod_probe *pr)
{
    if (!pr->set)
        return;
    ye_key_map(em, k);
    if (pr->exec != NULL)
        emit_exec(em, pr->exec);
    ye_kv_ll(em, "initialDelaySeconds", pr->initial_delay_seconds);
    ye_kv_ll(em, "periodSeconds", pr->period_seconds);
    ye_kv_ll(em, "timeoutSeconds", pr->timeout_seconds);
    ye_kv_ll(em, "successThreshold", pr->success_threshold);
    ye_kv_ll(em, "failureThreshold", pr->failure_threshold);
    ye_map_end(em);
}

static void
emit_container(struct yemit *em, const struct kpod_container *c)
{
    static const char *const pull[] = {NULL, "Always", "IfNotPresent", "Never"};
    ye_map_begin(em);
    ye_kv_str(em, "name", c->name);
    ye_kv_str(em, "image", c->image);
    ye_kv_str(em, "imagePullPolicy", pull[c->pull_policy]);
    ye_kv_strv(em, "command", c->command);
    ye_kv_strv(em, "args", c->args);
    ye_kv_str(em, "workingDir", c->working_dir);
    emit_env(em, c);
    emit_ports(em, c);
    emit_mounts(em, c);
    emit_resources(em, &c->resources);
    emit_ctr_security(em, &c->sec);
    if (c->tty)
        ye_kv_bool(em, "tty", true);
    if (c->stdin_open)
        ye_kv_bool(em, "stdin", true);
    if (c->stdin_once)
        ye_kv_bool(em, "stdinOnce", true);
    emit_lifecycle(em, c);
    emit_probe(em, "livenessProbe", &c->liveness);
    emit_probe(em, "readinessProbe", &c->readiness);
    emit_probe(em, "startupProbe", &c->startup);
    ye_kv_str(em, "terminationMessagePath", c->termination_message_path);
    ye_map_end(em);
}

/* ---- the pod ---- */

static void
emit_key_to_paths(struct yemit *em, const struct kpod_volume *v)
{
    if (v->n_items == 0)
        return;
    ye_key_seq(em, "items");
    for (size_t i = 0; i < v->n_items; i++) {
        ye_map_begin(em);
        ye_kv_str(em, "key", v->items[i].key);
        ye_kv_str(em, "path", v->items[i].path);
        if (v->items[i].mode >= 0)
            ye_kv_ll(em, "mode", v->items[i].mode);
        ye_map_end(em);
    }
    ye_seq_end(em);
}

static void
emit_volume(struct yemit *em, const struct kpod_volume *v)
{
    static const char *const hp_types[] = {
        NULL,     "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
        "Socket", "CharDevice",        "BlockDevice"};
    ye_map_begin(em);
    ye_kv_str(em, "name", v->name);
    switch (v->type) {
    case KPOD_VOLUME_EMPTYDIR:
        ye_key_map(em, "emptyDir");
        if (v->memory)
            ye_kv_str(em, "medium", "Memory");
        if (v->size_limit != KPOD_UNSET)
            ye_kv_bytes(em, "sizeLimit", v->size_limit);
        ye_map_end(em);
        break;
    case KPOD_VOLUME_HOSTPATH:
        ye_key_map(em, "hostPath");
        ye_kv_str(em, "path", v->path);
        ye_kv_str(em, "type", hp_types[v->hostpath_type]);
        ye_map_end(em);
        break;
    case KPOD_VOLUME_CONFIGMAP:
    case KPOD_VOLUME_SECRET:
        ye_key_map(em, v->type == KPOD_VOLUME_CONFIGMAP ? "configMap" : "secret");
        ye_kv_str(em, v->type == KPOD_VOLUME_CONFIGMAP ? "name" : "secretName", v->source);
        emit_key_to_paths(em, v);
        if (v->default_mode != 0644)
            ye_kv_ll(em, "defaultMode", v->default_mode);
        if (v->optional)
            ye_kv_bool(em, "optional", true);
        ye_map_end(em);
        break;
    case KPOD_VOLUME_PVC:
        ye_key_map(em, "persistentVolumeClaim");
        ye_kv_str(em, "claimName", v->claim);
        if (v->read_only)
            ye_kv_bool(em, "readOnly", true);
        ye_map_end(em);
        break;
    }
    ye_map_end(em);
}

static void
emit_dns(struct yemit *em, const struct kpod_pod *pod)
{
    ye_kv_str(em, "dnsPolicy", pod->dns_policy);
    if (pod->dns_nameservers == NULL && pod->dns_searches == NULL && pod->dns_options.n == 0)
        return;
    ye_key_map(em, "dnsConfig");
    ye_kv_strv(em, "nameservers", pod->dns_nameservers);
    ye_kv_strv(em, "searches", pod->dns_searches);
    if (pod->dns_options.n > 0) {
        ye_key_seq(em, "options");
        for (size_t i = 0; i < pod->dns_options.n; i++) {
            ye_map_begin(em);
            ye_kv_str(em, "name", pod->dns_options.items[i].key);
            ye_kv_str(em, "value", pod->dns_options.items[i].value);
            ye_map_end(em);
        }
        ye_seq_end(em);
    }
    ye_map_end(em);
}

static void
emit_host_aliases(struct yemit *em, const struct kpod_pod *pod)
{
    if (pod->n_host_aliases == 0)
        return;
    ye_key_seq(em, "hostAliases");
    for (size_t i = 0; i < pod->n_host_aliases; i++) {
        ye_map_begin(em);
        ye_kv_str(em, "ip", pod->host_aliases[i].ip);
        ye_kv_strv(em, "hostnames", pod->host_aliases[i].hostnames);
        ye_map_end(em);
    }
    ye_seq_end(em);
}

static void
emit_pod_security(struct yemit *em, const struct kpod_pod *pod)
{
    if (pod->run_as_user == KPOD_UNSET && pod->run_as_group == KPOD_UNSET &&
        pod->fs_group == KPOD_UNSET && pod->run_as_non_root < 0 &&
        pod->n_supplemental_groups == 0 && pod->sysctls.n == 0 &&
        pod->seccomp.type == KPOD_SECCOMP_UNSET)
        return;
    ye_key_map(em, "securityContext");
    if (pod->run_as_user != KPOD_UNSET)
        ye_kv_ll(em, "runAsUser", pod->run_as_user);
    if (pod->run_as_group != KPOD_UNSET)
        ye_kv_ll(em, "runAsGroup", pod->run_as_group);
    ye_kv_tri(em, "runAsNonRoot", pod->run_as_non_root);
    if (pod->fs_group != KPOD_UNSET)
        ye_kv_ll(em, "fsGroup", pod->fs_group);
    if (pod->n_supplemental_groups > 0) {
        ye_key_seq(em, "supplementalGroups");
        for (size_t i = 0; i < pod->n_supplemental_groups; i++) {
            char b[32];
            snprintf(b, sizeof(b), "%lld", pod->supplemental_groups[i]);
            ye_plain(em, b);
        }
        ye_seq_end(em);
    }
    if (pod->sysctls.n > 0) {
        ye_key_seq(em, "sysctls");
        for (size_t i = 0; i < pod->sysctls.n; i++) {
            ye_map_begin(em);
            ye_kv_str(em, "name", pod->sysctls.items[i].key);
            ye_kv_str(em, "value", pod->sysctls.items[i].value);
            ye_map_end(em);
        }
        ye_seq_end(em);
    }
    emit_seccomp(em, &pod->seccomp);
    ye_map_end(em);
}

void
ye_emit_pod_spec(struct yemit *em, const struct kpod_pod *pod, enum kpod_restart_policy restart)
{
    ye_map_begin(em);
    if (pod->n_init > 0) {
        ye_key_seq(em, "initContainers");
        for (size_t i = 0; i < pod->n_init; i++)
            emit_container(em, &pod->containers[i]);
        ye_seq_end(em);
    }
    ye_key_seq(em, "containers");
    for (size_t i = pod->n_init; i < pod->n_containers; i++)
        emit_container(em, &pod->containers[i]);
    ye_seq_end(em);
    if (pod->n_volumes > 0) {
        ye_key_seq(em, "volumes");
        for (size_t i = 0; i < pod->n_volumes; i++)
            emit_volume(em, &pod->volumes[i]);
        ye_seq_end(em);
    }
    ye_kv_str(em, "restartPolicy", ye_restart_policy_name(restart));
    ye_kv_str(em, "hostname", pod->hostname);
    ye_kv_str(em, "subdomain", pod->subdomain);
    if (pod->host_network)
        ye_kv_bool(em, "hostNetwork", true);
    if (pod->host_pid)
        ye_kv_bool(em, "hostPID", true);
    if (pod->host_ipc)
        ye_kv_bool(em, "hostIPC", true);
    if (pod->share_pid)
        ye_kv_bool(em, "shareProcessNamespace", true);
    emit_dns(em, pod);
    emit_host_aliases(em, pod);
    emit_pod_security(em, pod);
    if (pod->termination_grace_seconds != 30)
        ye_kv_ll(em, "terminationGracePeriodSeconds", pod->termination_grace_seconds);
    if (pod->active_deadline_seconds != KPOD_UNSET)
        ye_kv_ll(em, "activeDeadlineSeconds", pod->active_deadline_seconds);
    ye_map_end(em);
}

void
ye_emit_meta(struct yemit *em, const char *name, const char *ns, const struct kpod_kvlist *labels,
             const struct kpod_kvlist *annotations)
{
    if (name == NULL && (labels == NULL || labels->n == 0) &&
        (annotations == NULL || annotations->n == 0))
        return;
    ye_key_map(em, "metadata");
    ye_kv_str(em, "name", name);
    if (ns != NULL && strcmp(ns, "default") != 0)
        ye_kv_str(em, "namespace", ns);
    if (labels != NULL)
        ye_kv_map(em, "labels", labels);
    if (annotations != NULL)
        ye_kv_map(em, "annotations", annotations);
    ye_map_end(em);
}
