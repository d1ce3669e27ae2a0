/**
 * A proxy in front of s3rver 3.7 that answers the two multipart calls s3rver lacks and
 * Distribution's s3 driver needs to resume an upload: ListMultipartUploads (`GET /<bucket>?uploads`)
 * and ListParts (`GET /<bucket>/<key>?uploadId=`). It learns the uploads from the calls it
 * forwards (create, part, complete, abort) and passes every other request through untouched.
 * Both registries go through it, so its cost falls on both alike. Path-style addressing only.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Part {
  etag: string;
  size: number;
  at: Date;
}
interface Upload {
  key: string;
  initiated: Date;
  parts: Map<number, Part>;
}

export interface MultipartShim {
  endpoint: string;
  close(): Promise<void>;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startMultipartShim(upstream: string): Promise<MultipartShim> {
  const target = new URL(upstream);
  const uploads = new Map<string, Upload>();

  function xml(res: ServerResponse, body: string): void {
    const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
    res.writeHead(200, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function listUploads(res: ServerResponse, bucket: string, prefix: string): void {
    const found = [...uploads.entries()].filter(([, u]) => u.key.startsWith(prefix));
    xml(
      res,
      `<ListMultipartUploadsResult xmlns="${XMLNS}"><Bucket>${esc(bucket)}</Bucket>` +
        `<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${esc(prefix)}</Prefix>` +
        `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        found
          .map(
            ([id, u]) =>
              `<Upload><Key>${esc(u.key)}</Key><UploadId>${esc(id)}</UploadId>` +
              `<Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
          )
          .join('') +
        '</ListMultipartUploadsResult>',
    );
  }

  function listParts(res: ServerResponse, bucket: string, id: string, upload: Upload): void {
    const parts = [...upload.parts.entries()].sort(([a], [b]) => a - b);
    xml(
      res,
      `<ListPartsResult xmlns="${XMLNS}"><Bucket>${esc(bucket)}</Bucket><Key>${esc(upload.key)}</Key>` +
        `<UploadId>${esc(id)}</UploadId><PartNumberMarker>0</PartNumberMarker>` +
        `<NextPartNumberMarker>${parts.at(-1)?.[0] ?? 0}</NextPartNumberMarker>` +
        `<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><StorageClass>STANDARD</StorageClass>` +
        parts
          .map(
            ([n, p]) =>
              `<Part><PartNumber>${n}</PartNumber><LastModified>${p.at.toISOString()}</LastModified>` +
              `<ETag>${esc(p.etag)}</ETag><Size>${p.size}</Size></Part>`,
          )
          .join('') +
        '</ListPartsResult>',
    );
  }

  /** Forwards the request; `seen` gets the upstream answer's status, headers and small body. */
  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    seen?: (
      status: number,
      headers: IncomingMessage['headers'],
      body: string,
      sent: number,
    ) => void,
  ): void {
    let sent = 0;
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!seen) return void answer.pipe(res);
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => {
          if (chunks.length < 64) chunks.push(c);
          res.write(c);
        });
        answer.on('end', () => {
          seen(
            answer.statusCode ?? 502,
            answer.headers,
            Buffer.concat(chunks).toString('utf8'),
            sent,
          );
          res.end();
        });
      },
    );
    out.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => (sent += c.length));
    req.pipe(out);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    const id = q.get('uploadId') ?? '';
    const method = req.method ?? 'GET';
    if (method === 'GET' && key === '' && q.has('uploads'))
      return listUploads(res, bucket, q.get('prefix') ?? '');
    if (method === 'GET' && id !== '') {
      const upload = uploads.get(id);
      if (upload) return listParts(res, bucket, id, upload);
    }
    if (method === 'POST' && q.has('uploads'))
      return forward(req, res, (status, _h, body) => {
        const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(body)?.[1];
        if (status === 200 && uploadId)
          uploads.set(uploadId, { key, initiated: new Date(), parts: new Map() });
      });
    if (method === 'PUT' && id !== '' && q.has('partNumber'))
      return forward(req, res, (status, headers, _b, sent) => {
        const etag = headers.etag;
        if (status === 200 && typeof etag === 'string')
          uploads
            .get(id)
            ?.parts.set(Number(q.get('partNumber')), { etag, size: sent, at: new Date() });
      });
    if ((method === 'POST' || method === 'DELETE') && id !== '')
      return forward(req, res, (status) => {
        if (status < 300) uploads.delete(id);
      });
    forward(req, res);
  });
  server.listen(0, '127.0.0.1');
  // Never what keeps the bench alive: a failed run exits without reaching stop().
  server.unref();
  await new Promise<void>((done) => server.once('listening', () => done()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
