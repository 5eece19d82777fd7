import { useMemo, useState } from "preact/hooks";
import { ChatLayout } from "./components/chat-layout.js";
import { SignInForm } from "./components/sign-in.js";
import { apiAddress, serverAddress } from "./server.js";
import { ChatStore } from "./store.js";
import { useStore } from "./use-store.js";

export function App() {
  const store = useMemo(() => new ChatStore(serverAddress(), apiAddress()), []);
  useStore(store);
  const [signedIn, setSignedIn] = useState(false);
  if (!signedIn || !store.client) return <SignInForm store={store} onDone={() => setSignedIn(true)} />;
  return <ChatLayout store={store} onSignOut={() => (store.signOut(), setSignedIn(false))} />;
}
