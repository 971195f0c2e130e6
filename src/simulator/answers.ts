/** What an endpoint answers, before the HTTP side writes it, and the error bodies they share. */
export interface RouteResult {
  status: number;
  /** JSON, unless `contentType` says otherwise: then the text as it is. */
  body: unknown;
  contentType?: string;
}

/** A gateway's page, not TimeTap's JSON: what a CDN or an API gateway answers by itself. */
export const gatewayPage = (status: number, title: string): RouteResult => ({
  status,
  contentType: 'text/html; charset=utf-8',
  body: `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><h1>${title}</h1></body></html>`,
});

export const notFound = (what: string): RouteResult => ({
  status: 404,
  body: { error: 'Not Found', message: what },
});

export const badRequest = (what: string): RouteResult => ({
  status: 400,
  body: { error: 'Bad Request', message: what },
});
