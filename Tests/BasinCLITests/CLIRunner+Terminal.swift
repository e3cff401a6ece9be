import BasinTestSupport
import Foundation

extension CLIRunner {
    /// What a command run on a terminal printed: stdout and stderr go to the same terminal.
    struct TerminalResult {
        let status: Int32
        let transcript: String
    }

    /// Runs `basin arguments…` with a pseudo-terminal as its standard streams and controlling
    /// terminal (as a user at a shell runs it), through Python's `pty` module; when `prompt`
    /// appears in what it prints, types `answer` and Enter. Python kills it after
    /// ``commandTimeout`` seconds (exit 124), and the whole run is bounded again by
    /// ``TestProcess/run(_:_:currentDirectory:environment:timeout:)``.
    func runInTerminal(_ arguments: [String], answering prompt: String = "", with answer: String = "") throws -> TerminalResult {
        var base = ProcessInfo.processInfo.environment
        for name in ["BASIN_REPOSITORY", "BASIN_PASSWORD", "BASIN_PASSWORD_FILE"] { base[name] = nil }
        let environment = base.merging(environment) { _, new in new }
        // `env -i` then the wanted variables: TestProcess adds to this process's environment, and
        // the variables a test unsets must stay unset.
        let assignments = environment.map { "\($0.key)=\($0.value)" }.sorted()
        let result = try TestProcess.run("/usr/bin/env", ["-i"] + assignments + ["/usr/bin/python3", "-c", Self.terminalScript, prompt, answer,
                                                                                  String(Self.commandTimeout), Self.executable.path] + arguments,
                                         timeout: Self.commandTimeout + 30)
        return TerminalResult(status: result.status, transcript: String(decoding: result.output, as: UTF8.self) + result.errors)
    }

    /// argv: prompt, answer, timeout in seconds, then the command.
    private static let terminalScript = """
        import os, pty, select, signal, sys, time
        prompt, answer, limit, command = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4:]
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(command[0], command)
        out, answered, deadline = b"", not prompt, time.monotonic() + limit
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                sys.stderr.write("killed after %d s\\n" % limit)
                sys.exit(124)
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
            if not answered and prompt in out:
                os.write(fd, answer + b"\\n")
                answered = True
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(out)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
}
