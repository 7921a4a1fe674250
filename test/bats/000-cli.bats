#!/usr/bin/env bats
# The command-line frame: version, help, unknown commands and flags, exit codes.

load helpers

@test "kpod --version and kpod version" {
    run_kpod --version
    assert "$output" =~ "^kpod version [0-9]+\.[0-9]+\.[0-9]+$" "--version"
    run_kpod version
    assert "$output" =~ "Version: +[0-9]" "version table"
    run_kpod version --format json
    assert "$(jq -r .Version <<<"$output")" =~ "^[0-9]+\.[0-9]+" "version json"
    assert "$(jq -r .Libraries.libyaml <<<"$output")" != "null" "libraries listed"
}

@test "kpod --help lists the commands; kpod help CMD equals CMD --help" {
    run_kpod --help
    assert "$output" =~ "Usage:" "usage"
    assert "$output" =~ "version +show the kpod version" "version listed"
    assert "$output" !~ "__complete" "hidden commands are not listed"
    run_kpod help version
    local via_help=$output
    run_kpod version --help
    assert "$output" == "$via_help" "help version == version --help"
    assert "$output" =~ "--format FORMAT" "option listed"
}

@test "kpod with no command prints help and fails" {
    run_kpod 125
    assert "$output" =~ "Usage:" "usage on stderr"
    assert "${lines[-1]}" == "Error: missing command 'kpod COMMAND'" "error last"
}

@test "unknown command: exit 125, one error line, with a hint" {
    run_kpod 125 nosuch
    assert "$output" == "Error: unknown command 'kpod nosuch': see 'kpod --help'" "no hint"
    run_kpod 125 verison
    assert "$output" == "Error: unknown command 'kpod verison': did you mean 'version'?"
    run_kpod 125 help nosuch
    assert "$(error_line)" =~ "unknown command 'nosuch'"
}

@test "unknown flags: exit 125 with a hint" {
    run_kpod 125 --nosuch
    assert "$output" =~ "^Error: kpod: unknown flag '--nosuch'" "global"
    run_kpod 125 version --formt json
    assert "$output" == "Error: kpod version: unknown flag '--formt': did you mean '--format'?"
    run_kpod 125 version -z
    assert "$output" =~ "unknown shorthand flag 'z'"
    run_kpod 125 version --format
    assert "$output" =~ "flag '--format' needs an argument"
    run_kpod 125 version extra
    assert "$output" =~ "takes no arguments"
    run_kpod 125 version --format yaml
    assert "$output" =~ "unknown format 'yaml'"
}

@test "global options: --log-level is checked, -- ends options, --flag=value works" {
    run_kpod 125 --log-level=loud version
    assert "$output" =~ "invalid log level 'loud'"
    run_kpod --log-level debug version --format=json
    assert "$(jq -r .Version <<<"$output")" != "null"
    run_kpod version --root /tmp/x --format json
    assert "$(jq -r .Version <<<"$output")" != "null" "global option after the command"
    run_kpod 125 completion -- --bash
    assert "$output" =~ "unknown shell '--bash'"
}

@test "every error is a single line" {
    local args
    for args in "nosuch" "--nosuch" "version --nope" "completion" "completion tcsh" "help x y"; do
        run "$KPOD" $args
        assert "$status" == 125 "exit code of 'kpod $args'"
        assert "${#lines[@]}" == 1 "lines of 'kpod $args'"
        assert "${lines[0]}" =~ "^Error: " "prefix of 'kpod $args'"
    done
}
