// Live progress of one job: server-sent events, falling back to polling the JSON API.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var id = box.dataset.jobId;
  function show(d) {
    document.getElementById("job-status").textContent = d.status_label;
    document.getElementById("job-status").className = "status-" + d.status;
    document.getElementById("job-progress").value = d.progress;
    document.getElementById("job-pct").textContent = Math.round(d.progress * 100) + "%";
    document.getElementById("job-message").textContent = d.message || "";
    document.getElementById("job-result").textContent = d.result ? JSON.stringify(d.result, null, 2) : "—";
    // a result that names a page on this site (a built corpus) gets a link to it
    var url = d.result && typeof d.result.url === "string" ? d.result.url : "";
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") {
      document.getElementById("job-link").href = url;
      document.getElementById("job-link-box").hidden = false;
    }
  }
  function done(d) { return d.status === "succeeded" || d.status === "failed"; }
  function poll() {
    fetch("/api/v1/jobs/" + id, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (d) { show(d); if (!done(d)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (window.EventSource) {
    var es = new EventSource("/api/v1/jobs/" + id + "/events");
    es.onmessage = function (e) { var d = JSON.parse(e.data); show(d); if (done(d)) es.close(); };
    es.onerror = function () { es.close(); poll(); };
  } else {
    poll();
  }
})();
