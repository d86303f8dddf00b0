// Counts this page view once: one beacon to the address in data-read-url, no cookie.
// Readers whose browser says Do Not Track or Global Privacy Control are not counted.
(function () {
  "use strict";
  var article = document.querySelector("[data-read-url]");
  if (!article || navigator.doNotTrack === "1" || navigator.globalPrivacyControl === true) {
    return;
  }
  var url = article.getAttribute("data-read-url");
  function send() {
    if (navigator.sendBeacon && navigator.sendBeacon(url)) {
      return;
    }
    fetch(url, { method: "POST", keepalive: true, credentials: "omit" }).catch(function () {});
  }
  // A page opened in a background tab (or prerendered) counts when it is first seen.
  if (document.visibilityState === "visible") {
    send();
  } else {
    document.addEventListener("visibilitychange", function seen() {
      if (document.visibilityState === "visible") {
        document.removeEventListener("visibilitychange", seen);
        send();
      }
    });
  }
})();
