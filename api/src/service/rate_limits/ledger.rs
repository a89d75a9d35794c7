//! What this process knows of each caller's window: the shared total as last read from
//! the store, and what it charged since. Kept in shards, each behind its own lock, so
//! that callers contend only with the few others that hash to their shard, and no lock
//! is held across an await.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::store::Pending;

/// Enough shards that two workers rarely wait on each other; few enough to sweep fast.
const SHARDS: usize = 64;

/// One caller's window, as this process sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Account {
    window: i64,
    /// Cost points charged here in this window, refused requests included (as the
    /// shared store counts them).
    charged: u64,
    /// How much of `charged` the shared store has taken.
    confirmed: u64,
    /// The caller's shared total when `confirmed` was taken: every replica's spending
    /// up to then, ours included.
    shared: u64,
    /// Whether `shared` was read at all in this window.
    read: bool,
    /// The last few (`confirmed`, `shared`) pairs, newest first, so that a request that
    /// waited for a batch finds the total its own batch answered, even when later
    /// batches (carrying other replicas' later spending) have come since.
    recent: [(u64, u64); RECENT],
}

/// Batches remembered per account; a request woken more batches late than this sees a
/// later total, which can only refuse a little early, never overspend.
const RECENT: usize = 4;

impl Account {
    fn new(window: i64) -> Self {
        Account {
            window,
            charged: 0,
            confirmed: 0,
            shared: 0,
            read: false,
            recent: [(0, 0); RECENT],
        }
    }

    /// Where the charge that brought `charged` to `through` stands: the shared total as
    /// last read, plus what was charged here since, up to that charge. The store may
    /// hold more (other replicas' spending since), never less, so a refusal decided on
    /// this is always right; an acceptance is right within the slack.
    fn used_through(&self, through: u64) -> u64 {
        self.shared
            .saturating_add(through.saturating_sub(self.confirmed))
    }

    /// Like [`Account::used_through`], from the answer of the batch that took that
    /// charge: the total the store had when it counted it.
    fn used_when_taken(&self, through: u64) -> u64 {
        self.recent
            .iter()
            .rev()
            .find(|(confirmed, _)| *confirmed >= through && *confirmed > 0)
            .map_or_else(
                || self.used_through(through),
                |(confirmed, shared)| shared.saturating_sub(confirmed - through),
            )
    }

    fn confirm(&mut self, through: u64, total: u64) {
        self.confirmed = through;
        self.shared = total;
        self.read = true;
        self.recent.rotate_right(1);
        self.recent[0] = (through, total);
    }

    /// Charged here and not yet taken by the store.
    fn unconfirmed(&self) -> u64 {
        self.charged - self.confirmed
    }

    /// Nothing here the store lacks, and the store's total known: safe to forget.
    fn settled(&self) -> bool {
        self.read && self.charged == self.confirmed
    }
}

/// What charging a caller in memory said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Charged {
    Tracked {
        /// The account's `charged` after this charge, to find the charge again.
        through: u64,
        /// Where the caller stands after it, as far as this process knows.
        used: u64,
        /// The process must sync before answering: it never read the caller's shared
        /// total in this window, or its unconfirmed spending passed the slack.
        needs_sync: bool,
    },
    /// The shard is full of callers with spending the store has not taken yet: this one
    /// is not tracked, and is charged straight to the store.
    Untracked,
}

pub(super) struct Ledger {
    shards: Vec<Mutex<HashMap<String, Account>>>,
    hasher: RandomState,
    shard_capacity: usize,
}

impl Ledger {
    /// A ledger tracking at most about `max_callers` callers.
    pub(super) fn new(max_callers: usize) -> Self {
        Ledger {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            shard_capacity: max_callers.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, caller: &str) -> MutexGuard<'_, HashMap<String, Account>> {
        let index = (self.hasher.hash_one(caller) % SHARDS as u64) as usize;
        // A panic elsewhere never leaves an account half-written (every update is one
        // assignment of plain numbers), so a poisoned shard is still sound.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Charges `cost` to `caller` in `window`.
    pub(super) fn charge(&self, caller: &str, window: i64, cost: u64, slack: u64) -> Charged {
        let mut shard = self.shard(caller);
        if !shard.contains_key(caller) {
            if shard.len() >= self.shard_capacity && !evict_one(&mut shard, window) {
                return Charged::Untracked;
            }
            shard.insert(caller.to_owned(), Account::new(window));
        }
        let Some(account) = shard.get_mut(caller) else {
            return Charged::Untracked;
        };
        if account.window < window {
            *account = Account::new(window);
        }
        account.charged = account.charged.saturating_add(cost);
        let through = account.charged;
        Charged::Tracked {
            through,
            used: account.used_through(through),
            needs_sync: !account.read || account.unconfirmed() > slack,
        }
    }

    /// Where the charge that brought `caller`'s account to `through` stands now (after
    /// a sync); `None` when the window has turned meanwhile.
    pub(super) fn used_through(&self, caller: &str, window: i64, through: u64) -> Option<u64> {
        let shard = self.shard(caller);
        let account = shard.get(caller)?;
        (account.window == window).then(|| account.used_when_taken(through))
    }

    /// Every account of `window` with something to send or to read, and forgets the
    /// accounts of windows past.
    pub(super) fn pending(&self, window: i64) -> Vec<Pending> {
        let mut batch = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.retain(|_, account| account.window >= window);
            for (caller, account) in shard.iter() {
                if account.window == window && !account.settled() {
                    batch.push(Pending {
                        caller: caller.clone(),
                        through: account.charged,
                        delta: account.unconfirmed(),
                    });
                }
            }
        }
        batch
    }

    /// Records what the store answered for a batch of `window`: each caller's total
    /// once it took their spending up to `through`.
    pub(super) fn settle(&self, window: i64, batch: &[Pending], totals: &[u64]) {
        for (pending, &total) in batch.iter().zip(totals) {
            let mut shard = self.shard(&pending.caller);
            if let Some(account) = shard.get_mut(&pending.caller) {
                // A new window's account starts afresh; this answer is about the old one.
                if account.window == window && pending.through >= account.confirmed {
                    account.confirm(pending.through, total);
                }
            }
        }
    }

    /// Callers tracked now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

/// Makes room in a full shard: forgets an account of a window past, or one the store
/// knows all about (it is read again when its caller returns). False when every
/// account holds spending the store has not taken yet.
fn evict_one(shard: &mut HashMap<String, Account>, window: i64) -> bool {
    let victim = shard
        .iter()
        .find(|(_, account)| account.window < window || account.settled())
        .map(|(caller, _)| caller.clone());
    match victim {
        Some(caller) => {
            shard.remove(&caller);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_caller_is_read_before_its_first_answer() {
        let ledger = Ledger::new(100);
        let first = ledger.charge("address:a", 60, 5, 1_000);
        assert_eq!(
            first,
            Charged::Tracked {
                through: 5,
                used: 5,
                needs_sync: true
            }
        );
        let batch = ledger.pending(60);
        assert_eq!(batch.len(), 1);
        assert_eq!((batch[0].through, batch[0].delta), (5, 5));
        // Another replica had spent 30 already.
        ledger.settle(60, &batch, &[35]);
        assert_eq!(ledger.used_through("address:a", 60, 5), Some(35));
        let second = ledger.charge("address:a", 60, 5, 1_000);
        assert_eq!(
            second,
            Charged::Tracked {
                through: 10,
                used: 40,
                needs_sync: false
            }
        );
    }

    #[test]
    fn a_request_woken_after_later_batches_is_judged_by_its_own_batch() {
        let ledger = Ledger::new(100);
        ledger.charge("c", 0, 3, 10);
        let first = ledger.pending(0);
        // Others had spent 100; the store counted our 3 on top.
        ledger.settle(0, &first, &[103]);
        ledger.charge("c", 0, 3, 10);
        let second = ledger.pending(0);
        // Meanwhile others spent 50 more.
        ledger.settle(0, &second, &[156]);
        assert_eq!(ledger.used_through("c", 0, 3), Some(103));
        assert_eq!(ledger.used_through("c", 0, 6), Some(156));
        // Not yet taken: what is known plus what was charged since.
        ledger.charge("c", 0, 3, 10);
        assert_eq!(ledger.used_through("c", 0, 9), Some(159));
    }

    #[test]
    fn spending_past_the_slack_asks_for_a_sync_and_a_new_window_starts_afresh() {
        let ledger = Ledger::new(100);
        ledger.charge("c", 0, 1, 10);
        let batch = ledger.pending(0);
        ledger.settle(0, &batch, &[1]);
        for _ in 0..10 {
            let Charged::Tracked { needs_sync, .. } = ledger.charge("c", 0, 1, 10) else {
                panic!("untracked")
            };
            assert!(!needs_sync);
        }
        let Charged::Tracked { needs_sync, .. } = ledger.charge("c", 0, 1, 10) else {
            panic!("untracked")
        };
        assert!(needs_sync, "11 unconfirmed points are past a slack of 10");
        let Charged::Tracked { used, .. } = ledger.charge("c", 60, 1, 10) else {
            panic!("untracked")
        };
        assert_eq!(used, 1);
        // The old window's account is gone; its answer changes nothing.
        ledger.settle(0, &batch, &[500]);
        assert_eq!(ledger.used_through("c", 60, 1), Some(1));
        assert!(ledger.pending(120).is_empty());
        assert_eq!(ledger.len(), 0);
    }

    #[test]
    fn a_full_ledger_forgets_settled_callers_and_refuses_to_forget_unsent_spending() {
        // One caller per shard.
        let ledger = Ledger::new(SHARDS);
        let mut callers = Vec::new();
        for i in 0.. {
            let caller = format!("address:{i}");
            if let Charged::Untracked = ledger.charge(&caller, 0, 1, 10) {
                // Its shard is full of unsent spending.
                callers.push(caller);
                break;
            }
            callers.push(caller);
        }
        let untracked = callers.last().unwrap().clone();
        let batch = ledger.pending(0);
        let totals = vec![1; batch.len()];
        ledger.settle(0, &batch, &totals);
        // Now the shard's settled caller makes room.
        assert!(matches!(
            ledger.charge(&untracked, 0, 1, 10),
            Charged::Tracked { .. }
        ));
        assert!(ledger.len() <= SHARDS);
    }
}
