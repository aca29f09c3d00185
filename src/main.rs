//! The `folio` command line: serve, migrate, demo. Nothing else lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use folio::config::Config;
use folio::db::Db;

/// mimalloc: glibc's allocator spent a tenth of the page benchmark's CPU time in malloc/free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "folio", version, about = "Folio: a publishing platform in one binary.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the site (the default command).
    Serve {
        /// Fill the database with demo content first, if it is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with realistic demo content (authors, tags, series, pages, posts).
    Demo {
        /// How many posts to create.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=200_000))]
        posts: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = rocket::execute(run(cli.command.unwrap_or(Command::Serve { demo: false })));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("folio: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let figment = folio::figment();
    let config = Config::from_figment(&figment)?;
    let db = Db::connect(&config.database).await.map_err(|e| e.to_string())?;
    let prepared = prepare(&db, &command).await;
    db.close().await;
    prepared?;
    if !matches!(command, Command::Serve { .. }) {
        return Ok(());
    }
    match folio::rocket(figment).launch().await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("could not serve: {}", e.kind())),
    }
}

/// Everything a command does before serving (or instead of it): migrate, then add demo content.
async fn prepare(db: &Db, command: &Command) -> Result<(), String> {
    db.migrate().await.map_err(|e| e.to_string())?;
    match *command {
        Command::Migrate => println!("Database is up to date ({}).", db.backend()),
        Command::Demo { posts } => {
            let summary = folio::demo::seed(db, posts).await.map_err(|e| e.to_string())?;
            println!("{summary}");
        }
        Command::Serve { demo: true } => match folio::demo::seed_if_empty(db, 60).await {
            Ok(Some(summary)) => println!("{summary}"),
            Ok(None) => println!("The database already has content; no demo content added."),
            Err(e) => return Err(e.to_string()),
        },
        Command::Serve { demo: false } => {}
    }
    Ok(())
}
