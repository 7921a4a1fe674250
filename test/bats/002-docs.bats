#!/usr/bin/env bats
# Man pages and completions are held to the command and option tables, in both directions.

load helpers

# Man page of a command path: "image ls" -> man/kpod-image-ls.1.md
man_page() {
    echo "$KPOD_TOP/man/kpod-${1// /-}.1.md"
}

@test "every command has a man page naming each of its options, and no other" {
    run_kpod __commands
    local tables=$output missing="" path page opt
    while IFS=$'\t' read -r kind path; do
        [ "$kind" = command ] || continue
        page=$(man_page "$path")
        [ -f "$page" ] || { missing="$missing\n  no man page for 'kpod $path' ($page)"; continue; }
        while IFS=$'\t' read -r k p long short; do
            [ "$k" = option ] && [ "$p" = "$path" ] || continue
            grep -qF -- "**$long**" "$page" || missing="$missing\n  $page: no '$long'"
            if [ -n "$short" ]; then
                grep -qF -- "**$short**" "$page" || missing="$missing\n  $page: no '$short'"
            fi
        done <<<"$tables"
        # Reverse: each option heading in the page is in the table (or is global).
        for opt in $(grep -oE '^#### \*\*--[a-z0-9-]+\*\*' "$page" | grep -oE -- '--[a-z0-9-]+'); do
            grep -qP "^option\t($path)?\t$opt(\t|$)" <<<"$tables" ||
                grep -qP "^option\t\t$opt(\t|$)" <<<"$tables" ||
                missing="$missing\n  $page: '$opt' is not an option of 'kpod $path'"
        done
    done <<<"$tables"
    # The global options are in kpod(1), and every top-level command is in its table.
    while IFS=$'\t' read -r k p long short; do
        [ "$k" = option ] && [ -z "$p" ] || continue
        grep -qF -- "**$long**" "$KPOD_TOP/man/kpod.1.md" || missing="$missing\n  kpod.1.md: no '$long'"
    done <<<"$tables"
    while IFS=$'\t' read -r k p; do
        [ "$k" = command ] && [[ "$p" != *" "* ]] || continue
        grep -qE "^\| $p \| kpod-$p\(1\)" "$KPOD_TOP/man/kpod.1.md" ||
            missing="$missing\n  kpod.1.md: command '$p' missing from the COMMANDS table"
    done <<<"$tables"
    if [ -n "$missing" ]; then
        die "$(printf "man pages out of step with the tables:$missing")"
    fi
}

@test "every man page converts with go-md2man" {
    local page
    for page in "$KPOD_TOP"/man/*.md; do
        run go-md2man -in "$page" -out "$BATS_TEST_TMPDIR/out"
        assert "$status" == 0 "go-md2man $page: $output"
        assert "$(head -c 100 "$BATS_TEST_TMPDIR/out")" =~ "^\.nh|^\.TH" "roff output of $page"
    done
}

@test "committed completions are what 'kpod completion' generates" {
    local shell file
    for shell in bash zsh fish; do
        case $shell in
        bash) file=completions/bash/kpod ;;
        zsh) file=completions/zsh/_kpod ;;
        fish) file=completions/fish/kpod.fish ;;
        esac
        run_kpod completion $shell
        diff -u "$KPOD_TOP/$file" <(echo "$output") >"$BATS_TEST_TMPDIR/diff" ||
            die "$file is stale (run 'make completions'): $(head -20 "$BATS_TEST_TMPDIR/diff")"
    done
}

# Completes the words of a command line in bash, printing the candidates.
bash_complete() {
    bash -c "source '$KPOD_TOP/completions/bash/kpod'
        kpod() { '$KPOD' \"\$@\"; }
        COMP_WORDS=($*); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
        [[ \"$*\" == *' ' ]] && { COMP_WORDS+=(''); COMP_CWORD=\${#COMP_WORDS[@]}; COMP_CWORD=\$((COMP_CWORD-1)); }
        _kpod; printf '%s\n' \"\${COMPREPLY[@]}\""
}

@test "bash completion: commands, options, fixed values, dynamic kinds" {
    run bash_complete kpod ver
    assert "$output" == "version" "kpod ver<TAB>"
    run bash_complete kpod version --fo
    assert "$output" == "--format" "kpod version --fo<TAB>"
    run bash_complete kpod version --format j
    assert "$output" == "json" "kpod version --format j<TAB>"
    run bash_complete kpod --log-level d
    assert "$output" == "debug" "global option value"
    run bash_complete kpod --log-level debug comp
    assert "$output" == "completion" "after a global option with a value"
    run bash_complete kpod completion z
    assert "$output" == "zsh" "positional fixed list"
    run bash_complete kpod help ver
    assert "$output" == "version" "dynamic kind through kpod __complete"
    run bash_complete kpod --
    assert "$output" =~ "--root" "global options offered"
    assert "$output" !~ "__complete" "hidden commands never offered"
}

@test "zsh and fish scripts are well-formed" {
    if command -v zsh >/dev/null; then
        run zsh -n "$KPOD_TOP/completions/zsh/_kpod"
        assert "$status" == 0 "zsh -n: $output"
    fi
    if command -v fish >/dev/null; then
        run fish -n "$KPOD_TOP/completions/fish/kpod.fish"
        assert "$status" == 0 "fish -n: $output"
        run fish -c "source '$KPOD_TOP/completions/fish/kpod.fish'
            complete -C 'kpod ver'; complete -C 'kpod version --format j'
            complete -C 'kpod --log-level debug compl'" 2>&1
        assert "${lines[0]}" =~ "^version" "fish: kpod ver<TAB>"
        assert "${lines[1]}" =~ "^json" "fish: option value"
        assert "${lines[2]}" =~ "^completion" "fish: after a global option"
        assert "$output" !~ "rror" "fish: no errors"
    fi
    run bash -n "$KPOD_TOP/completions/bash/kpod"
    assert "$status" == 0 "bash -n: $output"
    grep -q "complete -c kpod -n '__kpod_at \"\"' -a version" "$KPOD_TOP/completions/fish/kpod.fish" ||
        die "fish completion lacks the version command"
}
