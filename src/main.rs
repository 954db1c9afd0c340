fn main() -> std::process::ExitCode {
    lanedesk::cli::main()
}
