/** What an endpoint answers, before the HTTP side writes it, and the error bodies they share. */
export interface RouteResult {
  status: number;
  body: unknown;
}

export const notFound = (what: string): RouteResult => ({
  status: 404,
  body: { error: 'Not Found', message: what },
});

export const badRequest = (what: string): RouteResult => ({
  status: 400,
  body: { error: 'Bad Request', message: what },
});
