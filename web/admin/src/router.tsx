import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/** The dashboard's pages live under /admin/ (the server answers index.html for any of them). */
export const BASE = "/admin";

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  history.pushState(null, "", `${BASE}${path}`);
  for (const fn of [...listeners]) fn();
}

/** The path below /admin ("/", "/rooms/lobby"), following navigation and the back button. */
export function usePath(): string {
  const read = () => location.pathname.slice(BASE.length) || "/";
  const [path, setPath] = useState(read);
  useEffect(() => {
    const update = () => setPath(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return path;
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; testid?: string }) {
  return (
    <a
      href={`${BASE}${props.href}`}
      class={props.class}
      data-testid={props.testid}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
