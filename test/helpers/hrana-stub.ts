/**
 * Just enough of sqld's HTTP protocol (POST /v2/pipeline, Hrana over HTTP) to let @libsql/client
 * run `SELECT 1` against a local port and to see which bearer token each request carried. It is not
 * a stand-in for sqld (DRIVER-NOTES.md): every `execute` answers one row with the integer 1 and
 * nothing is stored. Tokens outside `accepted` get HTTP 401, as sqld answers a bad JWT.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface PipelineRequest {
  type: string;
}

export class HranaStub {
  /** The Authorization header of every pipeline request, in order. */
  readonly tokensSeen: string[] = [];
  readonly accepted = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<HranaStub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const stub = new HranaStub(server, typeof address === 'object' && address ? address.port : 0);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => stub.answer(req.url ?? '', req.headers.authorization ?? '', body, res));
    });
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(path: string, authorization: string, body: string, res: ServerResponse): void {
    if (path !== '/v2/pipeline') return void res.writeHead(404).end();
    const token = authorization.replace(/^Bearer /, '');
    this.tokensSeen.push(token);
    if (!this.accepted.has(token)) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized: the token is invalid or expired');
    const requests = (JSON.parse(body) as { requests: PipelineRequest[] }).requests;
    const results = requests.map((request) =>
      request.type === 'execute'
        ? { type: 'ok', response: { type: 'execute', result: { cols: [{ name: 'one', decltype: null }], rows: [[{ type: 'integer', value: '1' }]], affected_row_count: 0, last_insert_rowid: null } } }
        : { type: 'ok', response: { type: request.type } },
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ baton: null, base_url: null, results }));
  }
}
