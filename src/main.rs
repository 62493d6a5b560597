//! The `bp` binary: calls `cli::main` and turns its result into an exit code.

fn main() -> std::process::ExitCode {
    bp::cli::main()
}
