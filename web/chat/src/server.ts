// Where the page connects. The WebSocket goes to `?server=ws://host:port`
// (tests, a page served from elsewhere), else to the host that served the
// page. Sign-in posts to the page's own origin (`?api=` to change it): the
// HTTP API answers no cross-origin requests, and the server that serves this
// page at `/` is that origin.

export function serverAddress(location: Location = window.location): string {
  const given = new URLSearchParams(location.search).get("server");
  if (given) return given;
  return `${location.protocol === "https:" ? "https" : "http"}://${location.host}`;
}

export function apiAddress(location: Location = window.location): string {
  return new URLSearchParams(location.search).get("api") ?? location.origin;
}
