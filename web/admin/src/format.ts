export const bytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export const clock = (iso: string) => new Date(iso).toLocaleTimeString();

/** What a room event says, in one line: a message's body, or its data as JSON. */
export function eventText(type: string, data: Record<string, unknown>): string {
  if (type === "joined") return "";
  if (type === "left") return data.how === "disconnect" ? "(connection lost)" : "";
  if (typeof data.body === "string") return data.body;
  if (typeof data.topic === "string") return `topic: ${data.topic}`;
  return JSON.stringify(data);
}
