//! The `pgrq` binary: parses the command line and hands over to `app`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pgrq::app::{self, UpOptions};

#[derive(Parser)]
#[command(
    name = "pgrq",
    version,
    about = "PostgreSQL wire protocol over replicated SQLite (rqlite) databases"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a local pgrq: the proxy, and a 3-replica rqlite cluster per database, started on
    /// first connect. Without --config it serves the app `demo` (password `demo`).
    Up {
        /// TOML configuration file (keys in config/pgrq.example.toml; PGRQ_* env overrides).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Address to listen on (overrides proxy.listen_address).
        #[arg(long)]
        listen: Option<String>,
        /// Where databases live (overrides node.data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PGRQ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let Command::Up {
        config,
        listen,
        data_dir,
    } = cli.command;
    let opts = UpOptions {
        config,
        listen,
        data_dir,
    };
    let cfg = match app::load_up_config(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pgrq: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pgrq: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(app::run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pgrq: {e}");
            ExitCode::FAILURE
        }
    }
}
