/* lib/manifest: probes and lifecycle hooks (handlers, defaults, ports by name, errors). */
#include "manifest/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "manifest_tap.h"

/* Lines 1-9; the container's fields start on line 10 at column 5. */
#define CTR                                                                                        \
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: a\n"       \
    "    image: x\n    ports: [{name: http, containerPort: 8080}]\n"

static void
test_handlers(void)
{
    const char *y = CTR "    livenessProbe:\n"
                        "      exec: {command: [cat, /tmp/ok]}\n"
                        "    readinessProbe:\n"
                        "      httpGet:\n"
                        "        path: healthz\n"
                        "        port: http\n"
                        "        httpHeaders: [{name: X-Probe, value: kpod}]\n"
                        "      initialDelaySeconds: 2\n"
                        "      periodSeconds: 3\n"
                        "      timeoutSeconds: 4\n"
                        "      successThreshold: 2\n"
                        "      failureThreshold: 5\n"
                        "    startupProbe:\n"
                        "      tcpSocket: {port: 9090, host: 127.0.0.1}\n"
                        "      terminationGracePeriodSeconds: 9\n"
                        "    lifecycle:\n"
                        "      postStart: {exec: {command: [touch, /tmp/x]}}\n"
                        "      preStop: {httpGet: {port: 8080, host: localhost}}\n";
    _cleanup_manifest_ struct kpod_manifest *m = parse(y, NULL);
    ok(m != NULL, "probes and hooks parse");
    if (m == NULL)
        return;
    const struct kpod_container *c = &m->pods[0].containers[0];
    ok(c->liveness.set, "liveness set");
    is_int(c->liveness.handler.type, KPOD_HANDLER_EXEC, "liveness exec");
    is_str(c->liveness.handler.command[1], "/tmp/ok", "liveness command");
    is_int(c->liveness.period_seconds, 10, "periodSeconds defaults to 10");
    is_int(c->liveness.timeout_seconds, 1, "timeoutSeconds defaults to 1");
    is_int(c->liveness.success_threshold, 1, "successThreshold defaults to 1");
    is_int(c->liveness.failure_threshold, 3, "failureThreshold defaults to 3");
    is_int(c->liveness.initial_delay_seconds, 0, "no initial delay");
    is_int(c->liveness.termination_grace_seconds, KPOD_UNSET, "no probe grace");
    is_int(c->startup.termination_grace_seconds, 9, "startup probe grace");
    const struct kpod_probe *r = &c->readiness;
    is_int(r->handler.type, KPOD_HANDLER_HTTP_GET, "readiness httpGet");
    is_int(r->handler.port, 8080, "port by name resolves to the containerPort");
    is_str(r->handler.port_name, "http", "port name kept");
    is_str(r->handler.path, "/healthz", "path made absolute");
    ok(r->handler.host == NULL, "no host: the pod's address");
    is_int(r->handler.headers.n, 1, "one header");
    is_str(r->handler.headers.items[0].key, "X-Probe", "header name");
    is_str(r->handler.headers.items[0].value, "kpod", "header value");
    is_int(r->initial_delay_seconds, 2, "initialDelaySeconds");
    is_int(r->period_seconds, 3, "periodSeconds");
    is_int(r->timeout_seconds, 4, "timeoutSeconds");
    is_int(r->success_threshold, 2, "successThreshold");
    is_int(r->failure_threshold, 5, "failureThreshold");
    is_int(c->startup.handler.type, KPOD_HANDLER_TCP_SOCKET, "startup tcpSocket");
    is_int(c->startup.handler.port, 9090, "tcp port");
    is_str(c->startup.handler.host, "127.0.0.1", "tcp host");
    is_int(c->post_start.type, KPOD_HANDLER_EXEC, "postStart exec");
    is_str(c->post_start.command[0], "touch", "postStart command");
    is_int(c->pre_stop.type, KPOD_HANDLER_HTTP_GET, "preStop httpGet");
    is_str(c->pre_stop.path, "/", "path defaults to /");
    is_str(c->pre_stop.host, "127.0.0.1", "localhost is the loopback");
    ok(m->warnings == NULL, "no warnings");
}

static void
test_errors(void)
{
    expect_err(CTR "    readinessProbe:\n"
                   "      exec: {command: [true]}\n"
                   "      tcpSocket: {port: 80}\n",
               "t.yaml:11:7: spec.containers[0].readinessProbe: may not specify more than one "
               "handler",
               "two handlers");
    expect_err(CTR "    readinessProbe:\n      periodSeconds: 3\n",
               "t.yaml:11:7: spec.containers[0].readinessProbe: must specify a handler",
               "no handler");
    expect_err(CTR "    livenessProbe:\n      httpGet: {port: metrics}\n",
               "t.yaml:11:23: spec.containers[0].livenessProbe.httpGet.port: no port named "
               "'metrics' in the container's ports",
               "unknown port name");
    expect_err(CTR "    livenessProbe:\n      tcpSocket: {port: Bad_Name}\n",
               "t.yaml:11:25: spec.containers[0].livenessProbe.tcpSocket.port: invalid port name "
               "'Bad_Name'",
               "invalid port name");
    expect_err(CTR "    livenessProbe:\n      tcpSocket: {port: 70000}\n",
               "port 70000 must be between 1 and 65535", "port out of range");
    expect_err(CTR "    livenessProbe:\n      httpGet: {path: /}\n",
               "t.yaml:11:16: spec.containers[0].livenessProbe.httpGet.port: required",
               "httpGet needs a port");
    expect_err(CTR "    livenessProbe:\n      httpGet: {port: 80, scheme: HTTPS}\n",
               "livenessProbe.httpGet.scheme: HTTPS is not supported", "HTTPS refused");
    expect_err(CTR "    livenessProbe:\n      httpGet: {port: 80, host: example.com}\n",
               "'example.com' is not an IP address", "host names refused");
    expect_err(CTR "    livenessProbe:\n      exec: {command: [true]}\n      successThreshold: 2\n",
               "t.yaml:11:7: spec.containers[0].livenessProbe.successThreshold: must be 1 for "
               "liveness and startup probes",
               "liveness successThreshold");
    expect_err(CTR "    startupProbe:\n      exec: {command: [true]}\n      successThreshold: 3\n",
               "must be 1 for liveness and startup probes", "startup successThreshold");
    expect_err(CTR "    readinessProbe:\n      exec: {command: [true]}\n"
                   "      terminationGracePeriodSeconds: 5\n",
               "readinessProbe.terminationGracePeriodSeconds: must not be set for readiness probes",
               "no grace for readiness");
    expect_err(CTR "    readinessProbe:\n      exec: {command: [true]}\n      periodSeconds: 0\n",
               "readinessProbe.periodSeconds: must be at least 1", "zero period");
    expect_err(CTR "    readinessProbe:\n      exec: {}\n", "exec.command: required",
               "exec needs a command");
    expect_err(CTR "    lifecycle:\n      postStart:\n        exec: {command: [a]}\n"
                   "        httpGet: {port: 80}\n",
               "t.yaml:12:9: spec.containers[0].lifecycle.postStart: may not specify more than "
               "one handler",
               "two hook handlers");
    expect_err(CTR "    readinessProbe:\n      httpGet:\n        port: 80\n"
                   "        httpHeaders: [{name: 'a b', value: x}]\n",
               "invalid header name 'a b'", "bad header name");
    expect_err("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  initContainers:\n"
               "  - name: i\n    image: x\n    readinessProbe: {exec: {command: [true]}}\n"
               "  containers:\n  - name: a\n    image: x\n",
               "probes and lifecycle hooks are not allowed in init containers", "init probes");
}

static void
test_warnings(void)
{
    _cleanup_manifest_ struct kpod_manifest *m =
        parse(CTR "    lifecycle:\n      preStop:\n        tcpSocket: {port: http}\n"
                  "    livenessProbe:\n      grpc: {port: 9000}\n",
              NULL);
    ok(m != NULL, "tcpSocket hook and grpc probe parse");
    if (m == NULL)
        return;
    const struct kpod_container *c = &m->pods[0].containers[0];
    ok(has_warning(m, "lifecycle.preStop.tcpSocket: tcpSocket in lifecycle hooks is deprecated"),
       "tcpSocket hook warned about");
    is_int(c->pre_stop.type, KPOD_HANDLER_TCP_SOCKET, "tcpSocket hook kept");
    is_int(c->pre_stop.port, 8080, "its named port resolved");
    ok(has_warning(m, "livenessProbe.grpc: this handler is not supported by kpod, ignored"),
       "grpc warned about");
    ok(!c->liveness.set, "grpc probe not set");
}

int
main(void)
{
    test_handlers();
    test_errors();
    test_warnings();
    return tap_done();
}
