# fish completion for zcp(1): options, method names, the chosen method's
# --flags, endpoint prefixes (tcp:, tcp-listen:, unix:, unix-listen:, fd:)
# and file names.

# The method named before the cursor (the last -m/--method wins).
function __zcp_method
    set -l tokens (commandline -opc)
    set -l m
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case -m --method
                set i (math $i + 1)
                set m $tokens[$i]
            case '--method=*'
                set m (string replace -- --method= '' $tokens[$i])
            case '-m?*'
                set m (string sub -s 3 -- $tokens[$i])
            case --
                break
        end
        set i (math $i + 1)
    end
    echo $m
end

# The flags --flags takes with the chosen method, after what the list
# already holds (it is comma-separated).
function __zcp_flags
    set -l tok (string replace -r -- '^--flags=' '' (commandline -ct))
    set -l head (string match -r -- '^.*,' $tok)
    set -l names
    switch (__zcp_method)
        case splice
            set names move more nonblock gift
        case aio io_uring
            set names dsync sync hipri nowait
    end
    for n in $names
        printf '%s%s\n' "$head" $n
    end
end

# What may follow an endpoint prefix, or the prefixes themselves.
function __zcp_operand
    set -l tok (commandline -ct)
    switch $tok
        case '-*'
            return
        case 'unix:*' 'unix-listen:*'
            set -l pre (string match -r -- '^[^:]*:' $tok)
            for p in (__fish_complete_path (string replace -r -- '^[^:]*:' '' $tok))
                printf '%s%s\n' $pre $p
            end
        case 'tcp:*:*' 'tcp-listen:*:*' 'fd:*'
            return
        case 'tcp:*' 'tcp-listen:*'
            set -l pre (string match -r -- '^[^:]*:' $tok)
            for h in (__fish_print_hostnames)
                printf '%s%s:\n' $pre $h
            end
        case '*'
            printf '%s\n' 'tcp:'\t'connect to HOST:PORT' \
                'tcp-listen:'\t'accept one connection on [HOST:]PORT' \
                'unix:'\t'connect to a Unix socket' \
                'unix-listen:'\t'accept one connection on a Unix socket' \
                'fd:'\t'an open descriptor'
    end
end

complete -c zcp -a '(__zcp_operand)'
# After an endpoint's prefix the candidates are __zcp_operand's alone:
# no file names glued to tcp:, fd: and the like.
complete -c zcp -n 'string match -qir -- "^(tcp|tcp-listen|unix|unix-listen|fd):" (commandline -ct)' -f

complete -c zcp -s m -l method -x -d 'Copy with the named method' -a '
    auto\t"Fastest method that serves SRC and DST"
    rw\t"read(2) and write(2) through a buffer"
    splice\t"splice(2), through a pipe of its own where one helps"
    sendfile\t"sendfile(2) from a regular file or block device"
    copy_file_range\t"In-kernel file to file copy"
    aio\t"Linux asynchronous I/O (libaio), direct I/O"
    io_uring\t"io_uring (liburing), direct I/O"'
complete -c zcp -s o -l offset -x -d 'Start reading SRC at BYTES'
complete -c zcp -s n -l count -x -d 'Copy at most BYTES'
complete -c zcp -l seek -x -d 'Start writing DST at BYTES, without truncating'
complete -c zcp -s a -l append -d 'Append to DST instead of replacing it'
complete -c zcp -s b -l block-size -x -d 'Bytes per system call'
complete -c zcp -l flags -x -a '(__zcp_flags)' -d "The method's own flags, comma-separated"
complete -c zcp -s d -l queue-depth -x -d 'Requests in flight (aio, io_uring)'
complete -c zcp -l direct -d 'Bypass the page cache (O_DIRECT)'
complete -c zcp -l no-direct -d 'Use the page cache'
complete -c zcp -l fsync -d 'Flush DST to stable storage before reporting'
complete -c zcp -s p -l progress -f -a 'auto always never' -d 'Show a live progress line'
complete -c zcp -l json -d 'Print the report as JSON'
complete -c zcp -l bench -f -d 'Time every method that serves SRC and DST (--bench=N: N runs)'
complete -c zcp -l explain -d 'Print the plan and exit without copying'
complete -c zcp -s q -l quiet -d 'Print no report'
complete -c zcp -s v -l verbose -d 'Say which method ran and why'
complete -c zcp -s h -l help -d 'Display help and exit'
complete -c zcp -s V -l version -d 'Output version information and exit'
