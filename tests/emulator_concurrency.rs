//! Concurrent writers: no lost writes, exactly one winner for a contested name.

mod emulator_support;

use std::sync::Arc;

use emulator_support::*;

const HZ: [(&str, &str); 2] = [("RegionId", "cn-hangzhou"), ("InstanceId", HANGZHOU)];

fn start() -> Arc<Emulator> {
    Arc::new(Emulator::start(&[
        "--visibility-delay-ms",
        "0",
        "--qps",
        "100000",
        "--create-topic-qps",
        "100000",
    ]))
}

async fn parallel<F, Fut>(n: usize, f: F) -> Vec<String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Reply> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.expect("task").code());
    }
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_distinct_topics_all_land() {
    let emu = start();
    let codes = parallel(100, |i| {
        let emu = Arc::clone(&emu);
        async move {
            let name = format!("parallel-{i:03}");
            emu.call(
                "CreateTopic",
                &[HZ[0], HZ[1], ("Topic", name.as_str()), ("Remark", "r")],
            )
            .await
        }
    })
    .await;
    assert!(codes.iter().all(|c| c == "200"), "{codes:?}");
    let mut names: Vec<String> = emu
        .state_topics(HANGZHOU)
        .await
        .iter()
        .map(|t| t["topic"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let expected: Vec<String> = (0..100).map(|i| format!("parallel-{i:03}")).collect();
    assert_eq!(names, expected);
    let v = emu.call("GetTopicList", &HZ).await.assert_ok();
    assert_eq!(v["Total"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_creates_of_one_topic_have_one_winner() {
    let emu = start();
    let codes = parallel(100, |_| {
        let emu = Arc::clone(&emu);
        async move {
            emu.call(
                "CreateTopic",
                &[HZ[0], HZ[1], ("Topic", "contested"), ("Remark", "r")],
            )
            .await
        }
    })
    .await;
    assert_eq!(codes.iter().filter(|c| *c == "200").count(), 1, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| *c == "BIZ_TOPIC_EXISTED").count(),
        99
    );
    assert_eq!(emu.state_topics(HANGZHOU).await.len(), 1);

    let codes = parallel(100, |_| {
        let emu = Arc::clone(&emu);
        async move {
            emu.call(
                "CreateConsumerGroup",
                &[HZ[0], HZ[1], ("ConsumerId", "contested")],
            )
            .await
        }
    })
    .await;
    assert_eq!(codes.iter().filter(|c| *c == "200").count(), 1, "{codes:?}");
    assert_eq!(
        codes
            .iter()
            .filter(|c| *c == "BIZ_SUBSCRIPTION_EXISTED")
            .count(),
        99
    );

    let codes = parallel(50, |_| {
        let emu = Arc::clone(&emu);
        async move {
            emu.call("DeleteTopic", &[HZ[0], HZ[1], ("Topic", "contested")])
                .await
        }
    })
    .await;
    assert_eq!(codes.iter().filter(|c| *c == "200").count(), 1, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| *c == "BIZ_TOPIC_NOT_FOUND").count(),
        49
    );
}
