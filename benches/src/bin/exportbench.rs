//! Row 10: a CLICKS export (CSV) of every click of the brand through the server: `startExport`,
//! polled until COMPLETED, then the file downloaded from its signed link (streamed, counted,
//! not kept). Next to it, the raw baseline: one streamed `SELECT` of the brand's clicks in id
//! order, each written as a naive CSV line to a file (no link codes, owners or global IDs).
//! The server's peak RSS while it exports is read by `benches/run` (VmHWM of the process started
//! for this row). Prints one JSON line.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::TryStreamExt;
use partnergraph::config::{DatabaseConfig, Secret};
use partnergraph::db::entity::click;
use partnergraph_bench::graphql::login;
use partnergraph_bench::http::{Client, Error, graphql_errors};
use partnergraph_bench::manifest::Manifest;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    manifest: PathBuf,
    /// `http://127.0.0.1:PORT`
    #[arg(long)]
    server: String,
    /// Longest wait for the export to complete, in seconds.
    #[arg(long, default_value_t = 3_600)]
    timeout_secs: u64,
}

const START: &str = "mutation { startExport(kind: CLICKS, format: CSV) { id status } }";
const EXPORT: &str = "query ($id: ID!) { export(id: $id) { status rowCount fileSize url error } }";

async fn gql(
    client: &mut Client,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, Error> {
    let (status, answer) = client
        .post_json(
            "/graphql",
            Some(token),
            &json!({ "query": query, "variables": variables }),
        )
        .await?;
    if let Some(errors) = graphql_errors(&answer) {
        return Err(format!("HTTP {status}: {errors}").into());
    }
    Ok(answer["data"].clone())
}

/// GETs `path` on `host` and counts the body's bytes and lines without keeping them.
async fn download(host: &str, path: &str) -> Result<(u64, u64), Error> {
    let tcp = TcpStream::connect(host).await?;
    let mut stream = BufReader::with_capacity(256 * 1024, tcp);
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.get_mut().write_all(head.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    if !line.contains(" 200 ") {
        return Err(format!("download answered {}", line.trim()).into());
    }
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok((bytes, lines))
}

/// The raw baseline: the brand's clicks streamed in id order, one naive CSV line each.
async fn raw(manifest: &Manifest) -> Result<(u64, f64), Error> {
    let db = partnergraph::db::connect(&DatabaseConfig {
        url: Secret::new(manifest.database_url.clone()),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(30),
        sqlite_busy_timeout: Duration::from_secs(30),
    })
    .await?;
    let path = std::env::temp_dir().join(format!("exportbench-raw-{}.csv", std::process::id()));
    let started = Instant::now();
    let mut out = BufWriter::with_capacity(256 * 1024, tokio::fs::File::create(&path).await?);
    out.write_all(b"clickId,occurredAt,linkId,enrollmentId,isBot,country,referrerHost,userAgentClass,source\r\n")
        .await?;
    let mut rows = 0u64;
    {
        let mut stream = click::Entity::find()
            .filter(click::Column::BrandId.eq(manifest.brand_db_id))
            .order_by_asc(click::Column::Id)
            .stream(&db)
            .await?;
        while let Some(c) = stream.try_next().await? {
            let line = format!(
                "{},{},{},{},{},{},{},{},{}\r\n",
                c.click_id,
                c.occurred_at.to_rfc3339(),
                c.link_id,
                c.enrollment_id.map(|e| e.to_string()).unwrap_or_default(),
                c.is_bot,
                c.country.unwrap_or_default(),
                c.referrer_host.unwrap_or_default(),
                c.user_agent_class.unwrap_or_default(),
                c.source
            );
            out.write_all(line.as_bytes()).await?;
            rows += 1;
        }
    }
    out.flush().await?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = tokio::fs::remove_file(&path).await;
    db.close().await?;
    Ok((rows, seconds))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let manifest = Manifest::read(&args.manifest).map_err(|e| e.to_string())?;
    let host = partnergraph_bench::http::host_of(&args.server)?;
    let mut client = Client::new(&args.server)?;
    let token = login(&mut client, &manifest.admin_email, &manifest.admin_password).await?;

    let started = Instant::now();
    let data = gql(&mut client, &token, START, json!({})).await?;
    let id = data["startExport"]["id"]
        .as_str()
        .ok_or("startExport: no id")?
        .to_owned();
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let export = loop {
        let data = gql(&mut client, &token, EXPORT, json!({ "id": id })).await?;
        let export = data["export"].clone();
        match export["status"].as_str() {
            Some("COMPLETED") => break export,
            Some("FAILED") | Some("EXPIRED") => {
                return Err(format!("export ended {export}").into());
            }
            _ if Instant::now() > deadline => return Err("export did not complete".into()),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let export_seconds = started.elapsed().as_secs_f64();
    let rows = export["rowCount"].as_u64().unwrap_or(0);
    let url = export["url"].as_str().ok_or("no url")?;
    let path = url
        .find("/exports/")
        .map(|at| &url[at..])
        .ok_or("a url without /exports/")?;
    let downloaded = Instant::now();
    let (bytes, lines) = download(&host, path).await?;
    let download_seconds = downloaded.elapsed().as_secs_f64();
    if lines != rows + 1 {
        return Err(format!("downloaded {lines} lines for {rows} rows and a header").into());
    }
    let (raw_rows, raw_seconds) = raw(&manifest).await?;
    let api_rows_per_s = rows as f64 / export_seconds.max(1e-9);
    let raw_rows_per_s = raw_rows as f64 / raw_seconds.max(1e-9);
    println!(
        "{}",
        json!({
            "row": "export_clicks",
            "rows": rows,
            "bytes": bytes,
            "export_seconds": export_seconds,
            "api_rows_per_s": api_rows_per_s,
            "download_mb_per_s": bytes as f64 / 1e6 / download_seconds.max(1e-9),
            "raw_rows": raw_rows,
            "raw_rows_per_s": raw_rows_per_s,
            "ratio": api_rows_per_s / raw_rows_per_s.max(1e-9),
        })
    );
    Ok(())
}
