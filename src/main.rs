//! The `folio` command line: serve, migrate, demo, create-admin, check, outbox, token. Nothing
//! else lives here.

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
    /// Create the owner account (on a new site) or another administrator.
    CreateAdmin {
        /// The account's email address.
        #[arg(long)]
        email: String,
        /// The name shown for the account (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Print a deployment checklist; exit with status 1 if anything fails.
    Check,
    /// List the mail waiting to be sent, with its text (links included).
    Outbox,
    /// Personal access tokens for the API.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a member of staff and print its secret (once) on standard output.
    Create {
        /// The address of the account the token acts for.
        #[arg(long)]
        email: String,
        /// A scope: read, posts, pages, media or admin (repeat for more).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the token expires, 1 to 3650 (default: never).
        #[arg(long, value_name = "DAYS")]
        expires: Option<i64>,
        /// What the token is for, shown in the list of tokens (default: "Command line").
        #[arg(long)]
        name: Option<String>,
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
    let prepared = match &command {
        Command::Check => check(&figment, &config, &db).await,
        _ => prepare(&db, &command).await,
    };
    db.close().await;
    prepared?;
    if !matches!(command, Command::Serve { .. }) {
        return Ok(());
    }
    println!("{}", folio::commands::raise_open_files_limit());
    match folio::rocket(figment).launch().await {
        Ok(stopped) => {
            // Not closed at shutdown's start (db::Db's Pool::close): requests finishing in the
            // grace period and the mail sender's release needed it until now.
            if let Some(db) = <folio::db::FolioDb as rocket_db_pools::Database>::fetch(&stopped) {
                db.close().await;
            }
            Ok(())
        }
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
        Command::Outbox => println!("{}", folio::commands::outbox(db).await?),
        Command::Token { action: TokenCommand::Create { ref email, ref scopes, expires, ref name } } => {
            let request = folio::commands::api_tokens::TokenRequest {
                email,
                scopes,
                days: expires,
                name: name.as_deref(),
            };
            let secret = folio::commands::api_tokens::create(db, &request).await?;
            // The secret alone on standard output, so `$(folio token create …)` captures it.
            eprintln!("Created an API token for {email}. Keep it now: it is not shown again.");
            println!("{secret}");
        }
        Command::Serve { demo: false } | Command::Check => {}
        Command::CreateAdmin { ref email, ref name, password_stdin } => {
            let password = read_password(password_stdin)?;
            let done = folio::commands::create_admin(db, email, name.as_deref(), &password).await?;
            println!("{done}");
        }
    }
    Ok(())
}

/// The new password: one line of standard input, or typed twice at a prompt that hides it.
/// Never an argument, which would leave it in the shell history and the process list.
fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first =
        rpassword::prompt_password("Password: ").map_err(|e| format!("cannot read the password: {e}"))?;
    let second = rpassword::prompt_password("Password (again): ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    if first != second {
        return Err("the passwords do not match".into());
    }
    Ok(first)
}

/// `folio check`: prints the checklist; any failure makes the exit status 1.
async fn check(figment: &rocket::figment::Figment, config: &Config, db: &Db) -> Result<(), String> {
    let items = folio::commands::check(figment, config, db).await;
    for item in &items {
        println!("{item}");
    }
    let failed = items.iter().filter(|i| i.level == folio::commands::Level::Fail).count();
    if failed > 0 {
        return Err(format!("{failed} deployment check(s) failed"));
    }
    Ok(())
}
