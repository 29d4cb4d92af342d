//! Telling crawlers, link previewers, monitors and scripts from people, by user agent alone.
//!
//! Bots are still redirected (a preview must resolve) but their clicks are flagged, so that the
//! `clicks` metric counts people. A user agent can lie; this catches the honest majority of
//! automated traffic, which is what inflates click counts in practice.

/// Lower-case substrings of known automated user agents. Generic markers (`bot/`, `crawler`,
/// `spider`, `+http`: crawlers put their info URL in the UA, browsers never do) catch the long
/// tail; plain `bot` is avoided because it also matches phone brands (`CUBOT`).
const BOT_MARKERS: &[&str] = &[
    // Search and AI crawlers.
    "googlebot",
    "adsbot-google",
    "mediapartners-google",
    "google-inspectiontool",
    "bingbot",
    "applebot",
    "duckduckbot",
    "yandexbot",
    "baiduspider",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "petalbot",
    "bytespider",
    "gptbot",
    "claudebot",
    // Link previews.
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "slackbot",
    "slack-imgproxy",
    "linkedinbot",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "pinterestbot",
    "redditbot",
    "skypeuripreview",
    "embedly",
    "iframely",
    "quora link preview",
    "vkshare",
    // Monitoring.
    "uptimerobot",
    "pingdom",
    "statuscake",
    "site24x7",
    "datadog",
    "newrelicpinger",
    // Scripts, HTTP libraries and headless browsers.
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "java/",
    "apache-httpclient",
    "okhttp",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    // Generic markers.
    "bot/",
    "crawler",
    "spider",
    "+http",
];

/// True for known crawlers, previewers, monitors and scripts; an empty user agent counts as a
/// bot (every browser sends one).
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    ua.is_empty() || BOT_MARKERS.iter().any(|marker| ua.contains(marker))
}

/// A coarse class stored with the click instead of the user agent itself: `bot`, `tablet`,
/// `mobile`, `desktop` or `unknown`. iPadOS presents itself as a Mac, so it counts as desktop.
pub fn user_agent_class(user_agent: &str) -> &'static str {
    if is_bot(user_agent) {
        return "bot";
    }
    let ua = user_agent.to_ascii_lowercase();
    let has = |needle: &str| ua.contains(needle);
    if has("ipad") || has("tablet") || has("kindle") || has("silk/") {
        "tablet"
    } else if has("android") && !has("mobile") {
        // Android tablets leave "Mobile" out of their user agent.
        "tablet"
    } else if has("mobi") || has("iphone") || has("ipod") || has("android") || has("opera mini") {
        "mobile"
    } else if has("windows nt") || has("macintosh") || has("x11") || has("linux") || has("cros") {
        "desktop"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
    const ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
    const WINDOWS_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
    const CUBOT_PHONE: &str = "Mozilla/5.0 (Linux; Android 11; CUBOT P50) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    const INSTAGRAM_IN_APP: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.0.0 (iPhone14,5; iOS 17_4; en_US)";

    #[test]
    fn known_crawlers_previewers_and_scripts_are_bots() {
        for ua in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0",
            "TelegramBot (like TwitterBot)",
            "curl/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "SomeNewCrawler/0.1 (+https://example.com/crawler)",
            "",
            "   ",
        ] {
            assert!(is_bot(ua), "{ua:?} should be a bot");
            assert_eq!(user_agent_class(ua), "bot", "{ua:?}");
        }
    }

    #[test]
    fn browsers_and_in_app_browsers_are_people() {
        for ua in [
            IPHONE,
            ANDROID_PHONE,
            ANDROID_TABLET,
            IPAD,
            WINDOWS_CHROME,
            MAC_SAFARI,
            CUBOT_PHONE,
            INSTAGRAM_IN_APP,
        ] {
            assert!(!is_bot(ua), "{ua:?} should not be a bot");
        }
    }

    #[test]
    fn classes_follow_the_device() {
        assert_eq!(user_agent_class(IPHONE), "mobile");
        assert_eq!(user_agent_class(ANDROID_PHONE), "mobile");
        assert_eq!(user_agent_class(CUBOT_PHONE), "mobile");
        assert_eq!(user_agent_class(INSTAGRAM_IN_APP), "mobile");
        assert_eq!(user_agent_class(ANDROID_TABLET), "tablet");
        assert_eq!(user_agent_class(IPAD), "tablet");
        assert_eq!(user_agent_class(WINDOWS_CHROME), "desktop");
        assert_eq!(user_agent_class(MAC_SAFARI), "desktop");
        assert_eq!(user_agent_class("SmartFridgeBrowser 1.0"), "unknown");
    }
}
