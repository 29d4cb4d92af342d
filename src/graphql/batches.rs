//! DataLoader batches run by the request's own task. A DataLoader starts a batch on the first
//! key and spawns it; spawned onto the runtime, the batch is woken by async-graphql's delay timer
//! (another thread) and run by whichever worker is free, often while the request is still
//! resolving the rest of the list and adding keys: a page of 100 creators took 13 statements
//! for its channels on a 4-worker runtime instead of 1. Here a spawned batch waits in the
//! request's queue and is polled by [`drive`] only after the request's execution has yielded,
//! that is once every field of the pass has added its key.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// The batches one request's loaders have spawned and [`drive`] has not started yet.
#[derive(Clone, Default)]
pub struct Batches(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Batches {
    /// The spawner of the request's DataLoaders.
    pub fn spawn(&self, batch: BoxFuture<'static, ()>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(batch);
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Runs `request` and, in the same task, the batches its loaders spawn: each time the request
/// waits, the batches queued meanwhile start, and every running batch is polled. A request that
/// only paused (it woke itself before returning, as a long list of fields does to let other
/// tasks run, and tokio's cooperative budget makes it do) is still adding keys: its batches
/// wait for the next poll.
pub async fn drive<F: Future>(batches: Batches, request: F) -> F::Output {
    let mut request = pin!(request);
    let mut running = FuturesUnordered::new();
    poll_fn(|cx| {
        let watch = Arc::new(WakeWatch {
            woken: AtomicBool::new(false),
            task: cx.waker().clone(),
        });
        let waker = Waker::from(watch.clone());
        if let Poll::Ready(output) = request.as_mut().poll(&mut Context::from_waker(&waker)) {
            return Poll::Ready(output);
        }
        if !watch.woken.load(Ordering::Acquire) {
            running.extend(batches.take());
        }
        // A finished batch wakes its waiting keys, hence this task: the request goes on at the
        // next poll.
        while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
        Poll::Pending
    })
    .await
}

/// The task's waker, noting whether it was woken.
struct WakeWatch {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for WakeWatch {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use futures_util::future::join_all;
    use tokio::sync::oneshot;

    use super::*;

    /// A stand-in DataLoader: keys join the pending batch; the first key spawns the batch,
    /// which answers every key pending when it runs, with the size of its batch.
    #[derive(Clone, Default)]
    struct Loader {
        pending: Arc<Mutex<Vec<oneshot::Sender<usize>>>>,
        batches: Arc<AtomicUsize>,
    }

    impl Loader {
        async fn load(&self, spawner: &Batches) -> usize {
            let (tx, rx) = oneshot::channel();
            let first = {
                let mut pending = self.pending.lock().unwrap();
                pending.push(tx);
                pending.len() == 1
            };
            if first {
                let loader = self.clone();
                spawner.spawn(Box::pin(async move {
                    tokio::task::yield_now().await;
                    let keys = std::mem::take(&mut *loader.pending.lock().unwrap());
                    loader.batches.fetch_add(1, Ordering::SeqCst);
                    let size = keys.len();
                    for key in keys {
                        let _ = key.send(size);
                    }
                }));
            }
            rx.await.unwrap_or(0)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_keys_of_one_pass_form_one_batch() {
        let loader = Loader::default();
        let batches = Batches::default();
        let sizes = drive(
            batches.clone(),
            join_all((0..500).map(|_| loader.load(&batches))),
        )
        .await;
        assert!(sizes.iter().all(|&size| size == 500), "{sizes:?}");
        assert_eq!(loader.batches.load(Ordering::SeqCst), 1);
    }

    /// Half the keys come after a pause (the request woke itself, as a long list does): they
    /// join the same batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_pause_within_a_pass_does_not_split_its_batch() {
        let loader = Loader::default();
        let batches = Batches::default();
        let sizes = drive(
            batches.clone(),
            join_all((0..200).map(|n| {
                let (loader, batches) = (&loader, &batches);
                async move {
                    if n % 2 == 1 {
                        tokio::task::yield_now().await;
                    }
                    loader.load(batches).await
                }
            })),
        )
        .await;
        assert!(sizes.iter().all(|&size| size == 200), "{sizes:?}");
        assert_eq!(loader.batches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_later_pass_forms_its_own_batch() {
        let loader = Loader::default();
        let batches = Batches::default();
        let (first, second) = drive(batches.clone(), async {
            let first = join_all((0..3).map(|_| loader.load(&batches))).await;
            let second = join_all((0..2).map(|_| loader.load(&batches))).await;
            (first, second)
        })
        .await;
        assert_eq!(first, [3, 3, 3]);
        assert_eq!(second, [2, 2]);
        assert_eq!(loader.batches.load(Ordering::SeqCst), 2);
    }
}
