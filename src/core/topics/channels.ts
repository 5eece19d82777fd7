/** Broker channels (and history streams) of the topic services. */
export const topicChannels = {
  /** Stored messages of a topic, and the broker presence list of its subscribers. */
  stream: (topic: string) => `topic:${topic}`,
  /** Join/leave signals of a topic's members. */
  presence: (topic: string) => `topic-presence:${topic}`,
  /** Take-over notices for one resumable session. */
  session: (id: string) => `topic-session:${id}`,
};

export const topicOf = (channel: string): string => channel.slice(channel.indexOf(":") + 1);
