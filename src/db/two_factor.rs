//! Two-factor sign-in: each account's TOTP secret, the last time step used (so a code works
//! once), and its single-use recovery codes, stored as digests.

use super::{Db, in_tx, on_pool};

macro_rules! replace_codes {
    ($tx:ident, $id:expr, $hashes:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($id).execute(&mut *$tx).await?;
        for hash in $hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind($id)
                .bind(hash)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Turns on two-factor sign-in with its first accepted step and fresh recovery codes.
pub async fn enable_totp(
    db: &Db,
    id: i64,
    secret: &str,
    step: i64,
    code_hashes: &[String],
) -> sqlx::Result<()> {
    const SET: &str = "UPDATE users SET totp_secret = $2, totp_last_step = $3 WHERE id = $1";
    in_tx!(db, |tx| {
        sqlx::query(SET).bind(id).bind(secret).bind(step).execute(&mut *tx).await?;
        replace_codes!(tx, id, code_hashes);
    });
    Ok(())
}

pub async fn disable_totp(db: &Db, id: i64) -> sqlx::Result<()> {
    const SET: &str = "UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1";
    const CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
    in_tx!(db, |tx| {
        sqlx::query(SET).bind(id).execute(&mut *tx).await?;
        sqlx::query(CODES).bind(id).execute(&mut *tx).await?;
    });
    Ok(())
}

/// Records `step` as used, unless a code of that step or a later one was already accepted (two
/// requests racing with the same code: only one wins).
pub async fn use_totp_step(db: &Db, id: i64, step: i64) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE users SET totp_last_step = $2
                       WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";
    let done = on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(step).execute(pool).await?.rows_affected());
    Ok(done == 1)
}

pub async fn replace_recovery_codes(db: &Db, id: i64, code_hashes: &[String]) -> sqlx::Result<()> {
    in_tx!(db, |tx| {
        replace_codes!(tx, id, code_hashes);
    });
    Ok(())
}

/// Spends a recovery code; false if it was never issued or already used.
pub async fn use_recovery_code(db: &Db, id: i64, code_hash: &str) -> sqlx::Result<bool> {
    const SQL: &str = "DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2";
    let done =
        on_pool!(db, |pool| sqlx::query(SQL).bind(id).bind(code_hash).execute(pool).await?.rows_affected());
    Ok(done == 1)
}

pub async fn recovery_codes_left(db: &Db, id: i64) -> sqlx::Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1";
    on_pool!(db, |pool| sqlx::query_scalar(SQL).bind(id).fetch_one(pool).await)
}
