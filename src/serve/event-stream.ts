import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Server-sent events (GET /api/events): every message so far is kept and sent to each page
 * that connects, then the new ones as they come. Each message has an id, so a page that
 * reconnects (EventSource does so by itself) gets only what it missed, from Last-Event-ID.
 * A run's records are a few hundred bytes an epoch: keeping them all costs nothing.
 */
export interface StreamMessage {
  readonly event: string; // 'record' (a --json record), 'model' (new weights), 'end'
  readonly data: object;
}

export class EventStream {
  private readonly history: string[] = [];
  private readonly clients = new Set<ServerResponse>();

  publish(message: StreamMessage): void {
    const id = this.history.length + 1;
    const text = `id: ${id}\nevent: ${message.event}\ndata: ${JSON.stringify(message.data, finite)}\n\n`;
    this.history.push(text);
    for (const res of this.clients) res.write(text);
  }

  /** Answers one GET /api/events and keeps the response open. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    const seen = Number(req.headers['last-event-id']);
    const from = Number.isSafeInteger(seen) && seen > 0 ? Math.min(seen, this.history.length) : 0;
    res.write(`retry: 1000\n\n${this.history.slice(from).join('')}`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** Ends every open stream (the server is closing). */
  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

/** JSON has no NaN: an accuracy never measured is null, as in the --json records. */
function finite(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
