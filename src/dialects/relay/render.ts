import type { Kick } from "../../core/room-access.js";
import type { CoreEvent, Renderer } from "../../core/types.js";

/** Core event types only relay sockets show: other dialects' renderers ignore them. */
export const RELAY_MESSAGE = "relay.message";
export const RELAY_READ = "relay.read";
export const RELAY_INVITE = "relay.invite";

/** The relay counter's own stream: room streams hold other dialects' stored events, whose seq must stay gapless. */
export const counterStream = (roomId: string) => `relay:${roomId}`;

/** Wire times are UNIX seconds with a millisecond fraction. */
export const unixSeconds = (ms: number) => ms / 1000;

const roomOf = (channel: string) => (channel.startsWith("room:") ? channel.slice(5) : null);

export const inviteFrame = (inviterId: string, roomId: string) => JSON.stringify({ type: "invite", user_id: inviterId, room_id: roomId });

export const kickFrame = (kick: Kick) =>
  JSON.stringify({ type: "kick", room_id: kick.roomId, message: kick.message, permanent: kick.permanent });

export const errorFrame = (code: string, message: string, ref: string | null) => JSON.stringify({ type: "error", code, message, ref });

/** Room events and direct invites as relay frames: rendered once per event, shared by every relay socket. */
export const relayRenderer: Renderer = {
  render(e: CoreEvent): string | null {
    if (e.type === RELAY_INVITE) return inviteFrame(e.sender.id, String(e.data.room_id));
    const room_id = roomOf(e.channel);
    if (room_id === null) return null;
    switch (e.type) {
      case RELAY_MESSAGE:
        return JSON.stringify({ type: "message", time: unixSeconds(e.time), content: e.data.content, user_id: e.sender.id, message_id: e.data.message_id, room_id });
      case RELAY_READ:
        return JSON.stringify({ type: "read", message_id: e.data.message_id, user_id: e.sender.id, room_id });
      case "joined":
        return JSON.stringify({ type: "enter", user_id: e.sender.id, room_id });
      case "left":
        return JSON.stringify({ type: "exit", user_id: e.sender.id, room_id });
      default:
        return null;
    }
  },
};
