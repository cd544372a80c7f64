# bash completion for wnet (installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/wnet). Completes the commands, net.exe's
# /SWITCHES (case-insensitively: `/de` becomes `/DELETE`) and --json/--help. It never starts
# the daemon: device names and shares are not looked up.

_wnet() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local cmd=${COMP_WORDS[1],,}
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "use view status --help" -- "${cur,,}"))
        return
    fi
    local words
    case $cmd in
    use)
        if [[ $cur == /* ]]; then
            words="/USER: /SAVECRED /REQUIREINTEGRITY /REQUIREPRIVACY /WRITETHROUGH /TCPPORT:
                   /DELETE /PERSISTENT:YES /PERSISTENT:NO /YES /NO"
            COMPREPLY=($(compgen -W "$words" -- "${cur^^}"))
            # A switch ending in ':' takes its value right after it.
            [[ ${COMPREPLY[0]} == *: ]] && compopt -o nospace 2>/dev/null
            return
        fi
        words="--json --help"
        ;;
    status) words="--json --help" ;;
    view) words="--help" ;;
    *) return ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F _wnet wnet
