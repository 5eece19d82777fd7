import { useEffect, useState } from "preact/hooks";
import { onSignedOut, session } from "./api.js";
import { Link, usePath } from "./router.js";
import { SignIn } from "./sign-in.js";
import { ConfigView } from "./views/config.js";
import { Overview } from "./views/overview.js";
import { PublishView } from "./views/publish.js";
import { RoomView } from "./views/room.js";
import { RoomsView } from "./views/rooms.js";
import { UsersView } from "./views/users.js";

const NAV = [
  ["/", "Overview"],
  ["/rooms", "Rooms"],
  ["/users", "Users"],
  ["/publish", "Publish"],
  ["/config", "Configuration"],
] as const;

function Page({ path }: { path: string }) {
  if (path === "/" || path === "") return <Overview />;
  if (path === "/rooms" || path === "/rooms/") return <RoomsView />;
  if (path.startsWith("/rooms/")) return <RoomView room={decodeURIComponent(path.slice("/rooms/".length))} />;
  if (path === "/users") return <UsersView />;
  if (path === "/publish") return <PublishView />;
  if (path === "/config") return <ConfigView />;
  return <p class="muted">No such page.</p>;
}

/** Signed out, the page shows the sign-in form and asks the server for nothing. */
export function App() {
  const [signedIn, setSignedIn] = useState(session.get() !== null);
  const path = usePath();
  useEffect(
    () =>
      onSignedOut(() => {
        session.clear();
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const current = "/" + (path.split("/")[1] ?? "");
  return (
    <div class="shell">
      <header>
        <strong class="brand">Switchboard admin</strong>
        <nav>
          {NAV.map(([href, label]) => (
            <Link href={href} class={current === href ? "active" : ""} testid={`nav-${label.toLowerCase()}`}>
              {label}
            </Link>
          ))}
        </nav>
        <button
          class="quiet"
          data-testid="sign-out"
          onClick={() => {
            session.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}
