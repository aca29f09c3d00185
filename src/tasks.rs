//! Work that runs beside the web server in every process: the mail sender, reloading settings
//! saved by other processes, pruning expired sessions, tokens and throttle records, and the
//! one-off check of images stored before animation was read from content.

use std::time::Duration;

use rocket::{Orbit, Rocket};
use rocket_db_pools::Database;

use crate::config::Config;
use crate::db::sessions::Lifetimes;
use crate::db::{Db, FolioDb, sessions, settings, throttle, tokens};
use crate::domain::now;
use crate::mail::{Mailer, sender};
use crate::metrics::Metrics;
use crate::newsletter::delivery::Newsletter;

/// How often saved settings are reloaded (a change made in another process shows within this).
const REFRESH: Duration = Duration::from_secs(10);
/// Expired rows are deleted every this many refreshes (an hour).
const PRUNE_EVERY: u32 = 360;

/// What else takes the saved settings each time they are reloaded, as `(key, value)` pairs:
/// the web layer's live site, which this module does not know.
pub type OnReload = Box<dyn Fn(&[(String, String)]) + Send + Sync>;

/// Spawns the background tasks; they stop when Rocket shuts down. `on_reload` is given the
/// saved settings every time they are reloaded.
pub async fn start(rocket: &Rocket<Orbit>, on_reload: impl Fn(&[(String, String)]) + Send + Sync + 'static) {
    let (Some(db), Some(mailer), Some(config)) =
        (FolioDb::fetch(rocket), rocket.state::<Mailer>(), rocket.state::<Config>())
    else {
        return;
    };
    let db: Db = (**db).clone();
    let metrics = rocket.state::<Metrics>().cloned().unwrap_or_default();
    let newsletter = newsletter(rocket, config);
    if let Some(newsletter) = &newsletter {
        let clock = rocket.state::<crate::domain::clock::Clock>().cloned().unwrap_or_default();
        let scan = crate::newsletter::mailings::run(
            db.clone(),
            newsletter.clone(),
            clock,
            mailer.clone(),
            rocket.shutdown(),
        );
        rocket::tokio::spawn(scan);
    }
    let mail = rocket::tokio::spawn(sender::run(
        db.clone(),
        mailer.clone(),
        newsletter,
        metrics.clone(),
        rocket.shutdown(),
    ));
    if let Some(background) = rocket.state::<Background>()
        && let Ok(mut slot) = background.mail.lock()
    {
        *slot = Some(mail);
    }
    rocket::tokio::spawn(crate::rerender::run(db.clone()));
    if let Some(store) = rocket.state::<crate::media::Store>() {
        rocket::tokio::spawn(crate::media::repair::run(db.clone(), store.clone()));
    }
    if let Some(sender) = webhook_sender(rocket, &db, config) {
        rocket::tokio::spawn(crate::webhooks::sender::run(sender, rocket.shutdown()));
    }
    let lifetimes = config.settings.session_lifetimes();
    let maintenance =
        Maintenance { db, on_reload: Box::new(on_reload), mailer: mailer.clone(), lifetimes, metrics };
    rocket::tokio::spawn(maintenance.run(rocket.shutdown()));
}

/// The background tasks a shutdown waits for, in Rocket's managed state: the mail sender, which
/// finishes or releases the message it is sending ([`sender::DRAIN`]).
#[derive(Default)]
pub struct Background {
    mail: std::sync::Mutex<Option<rocket::tokio::task::JoinHandle<()>>>,
}

impl Background {
    /// Waits for the mail sender to stop, at most a second longer than it gives a delivery.
    pub async fn stopped(&self) {
        let handle = self.mail.lock().ok().and_then(|mut slot| slot.take());
        if let Some(handle) = handle {
            let _ = rocket::tokio::time::timeout(sender::DRAIN + Duration::from_secs(1), handle).await;
        }
    }
}

/// What the newsletter's scan and sender need, or `None` (and the log says why) when the
/// DKIM key cannot be read any more; its settings were checked at start-up.
fn newsletter(rocket: &Rocket<Orbit>, config: &Config) -> Option<Newsletter> {
    let key = rocket.state::<crate::config::StampKey>()?;
    let settings = config.settings.newsletter.clone();
    let dkim = crate::newsletter::delivery::dkim_config(&settings)
        .map_err(|e| rocket::error!("newsletter: {e}"))
        .ok()?
        .map(std::sync::Arc::new);
    Some(Newsletter {
        site_url: config.settings.base_url.clone(),
        site_title: config.settings.site_title.clone(),
        link_key: key.bytes(),
        settings,
        dkim,
    })
}

/// The webhook sender, on the managed clock (tests move it), or `None` when its HTTP client
/// cannot be built (then webhooks wait in the queue, and the log says why).
fn webhook_sender(
    rocket: &Rocket<Orbit>,
    db: &Db,
    config: &Config,
) -> Option<crate::webhooks::sender::Sender> {
    let allow_private = config.settings.webhooks_allow_private;
    let client = crate::webhooks::client::build(allow_private)
        .map_err(|e| rocket::error!("webhooks: cannot build the HTTP client: {e}"))
        .ok()?;
    Some(crate::webhooks::sender::Sender {
        db: db.clone(),
        client,
        clock: rocket.state::<crate::domain::clock::Clock>().cloned().unwrap_or_default(),
        site_url: config.settings.base_url.clone(),
        allow_private,
        metrics: rocket.state::<Metrics>().cloned().unwrap_or_default(),
    })
}

struct Maintenance {
    db: Db,
    on_reload: OnReload,
    mailer: Mailer,
    lifetimes: Lifetimes,
    metrics: Metrics,
}

impl Maintenance {
    async fn run(self, shutdown: rocket::Shutdown) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut round: u32 = 0;
        loop {
            rocket::tokio::select! {
                _ = &mut shutdown => return,
                _ = rocket::tokio::time::sleep(REFRESH) => {},
            }
            match settings::all(&self.db).await {
                Ok(saved) => {
                    (self.on_reload)(&saved);
                    self.mailer.apply(&saved);
                }
                Err(e) => {
                    rocket::warn!("cannot reload saved settings: {e}");
                    self.metrics.task_failed("settings");
                }
            }
            round = round.wrapping_add(1);
            if round.is_multiple_of(PRUNE_EVERY) && !prune(&self.db, self.lifetimes).await {
                self.metrics.task_failed("housekeeping");
            }
        }
    }
}

/// Deletes what has expired; `false` when any of it failed (and was logged).
async fn prune(db: &Db, lifetimes: Lifetimes) -> bool {
    let now = now();
    let results = [
        sessions::prune(db, now, lifetimes).await,
        tokens::prune(db, now).await,
        throttle::prune(db, now - crate::domain::throttle::longest_window()).await,
        crate::db::outbox::prune(db, now).await,
        crate::db::webhooks::prune(db, now).await,
    ];
    let mut done = true;
    for result in results {
        if let Err(e) = result {
            rocket::warn!("housekeeping failed: {e}");
            done = false;
        }
    }
    done
}
