/** The OpenAPI 3.1 description of the HTTP API, served at /api/openapi.json. */

const error = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const id = { name: 'id', in: 'path', required: true, description: 'slide id: the output name (`<id>.focus.json`)', schema: { type: 'string' } };
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export function openApiDocument(version: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'focuslite serve',
      version,
      description: 'Focus QC results of one `focuslite slide` output folder, Deep Zoom tiles of its slides, image scoring and background scoring jobs. '
        + 'With an access token, send `Authorization: Bearer <token>` (or `?token=` once in a browser).',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'status'], properties: { error: { type: 'string' }, status: { type: 'integer' } } },
        SlideEntry: {
          type: 'object',
          properties: {
            id: { type: 'string' }, status: { type: 'string', description: 'ok, error, or a status newer batch runners write' }, slide: { type: 'string' },
            pass: { type: ['boolean', 'null'] }, verdict: { type: ['string', 'null'], description: 'QC verdict as focus.json words it: pass, fail, no tissue found, unsupported modality (…)' }, reason: { type: 'string' }, blurShare: { type: ['number', 'null'] }, tissueMm2: { type: ['number', 'null'] }, crops: { type: ['integer', 'null'] },
            mean: { type: ['number', 'null'] }, p90: { type: ['number', 'null'] }, scanDate: { type: ['string', 'null'] }, error: { type: 'string' },
            reader: { type: ['string', 'null'] }, format: { type: ['string', 'null'] }, width: { type: ['integer', 'null'] }, height: { type: ['integer', 'null'] },
            warnings: { type: 'array', items: { type: 'string' } }, viewable: { type: 'boolean', description: 'the slide file is found under the slide roots' }, heatmap: { type: 'boolean', description: 'its heat-map PNG is in the folder' },
          },
        },
        ScoreRecord: {
          type: 'object', description: 'as one element of `focuslite score --format json`',
          properties: {
            file: { type: 'string' }, score: { type: 'number' }, crops: { type: 'integer' }, rows: { type: 'integer' }, cols: { type: 'integer' }, width: { type: 'integer' }, height: { type: 'integer' },
            grid: { type: 'array', items: { type: 'array', items: { type: 'number' } } }, xs: { type: 'array', items: { type: 'integer' } }, ys: { type: 'array', items: { type: 'integer' } },
          },
        },
        Job: {
          type: 'object',
          properties: {
            id: { type: 'string' }, state: { enum: ['queued', 'running', 'done', 'failed'] }, created: { type: 'string' }, finished: { type: ['string', 'null'] }, error: { type: 'string' },
            slides: { type: 'array', items: { type: 'object', properties: { slide: { type: 'string' }, name: { type: 'string' }, status: { type: 'string' }, cropsDone: { type: 'integer' }, cropsTotal: { type: 'integer' }, error: { type: 'string' } } } },
          },
        },
      },
    },
    security: [{}, { bearer: [] }],
    paths: {
      '/api/slides': { get: { summary: 'every slide of the folder (from its focus.json files and summary.csv error rows)', responses: { 200: { description: 'slides', content: { 'application/json': { schema: { type: 'object', properties: { slides: { type: 'array', items: { $ref: '#/components/schemas/SlideEntry' } } } } } } } } } },
      '/api/slides.csv': { get: { summary: 'the cohort table as CSV', responses: { 200: { description: 'CSV', content: { 'text/csv': {} } } } } },
      '/api/slides/{id}': { get: { summary: "the slide's focus.json", parameters: [id], responses: { 200: { description: 'focus.json as written by `focuslite slide`' }, 404: error } } },
      '/api/slides/{id}/tiles': { get: { summary: 'tile scores with map cells and heat-map colours', parameters: [id], responses: { 200: { description: 'threshold, scale, colour range and bar, tiles (level-0 pixels)' }, 404: error } } },
      '/api/slides/{id}/heatmap.png': { get: { summary: 'the heat map PNG', parameters: [id], responses: { 200: { description: 'PNG', content: { 'image/png': {} } }, 404: error } } },
      '/api/slides/{id}/mask.png': { get: { summary: 'the out-of-focus mask PNG', parameters: [id], responses: { 200: { description: 'PNG', content: { 'image/png': {} } }, 404: error } } },
      '/slides/{id}.dzi': { get: { summary: 'Deep Zoom descriptor of the slide', parameters: [id], responses: { 200: { description: 'DZI XML', content: { 'application/xml': {} } }, 403: error, 404: error } } },
      '/slides/{id}_files/{level}/{col}_{row}.jpeg': {
        get: {
          summary: 'one Deep Zoom tile, made on demand from the slide (cached)',
          parameters: [id, ...['level', 'col', 'row'].map((n) => ({ name: n, in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }))],
          responses: { 200: { description: 'JPEG', content: { 'image/jpeg': {} } }, 404: error, 500: error },
        },
      },
      '/api/score': {
        post: {
          summary: 'score one image (PNG, JPEG, TIFF, WebP bytes in the body) with the server\'s scoring model',
          parameters: [
            { name: 'grid', in: 'query', schema: { type: 'boolean' }, description: 'include the per-crop grid' },
            { name: 'name', in: 'query', schema: { type: 'string' }, description: 'file name reported (default upload)' },
          ],
          requestBody: { required: true, content: { 'application/octet-stream': {}, 'image/png': {}, 'image/jpeg': {}, 'image/tiff': {}, 'image/webp': {} } },
          responses: { 200: { description: 'as `score --format json`', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/ScoreRecord' } } } } }, 413: error, 415: error, 422: error },
        },
      },
      '/api/model': { get: { summary: 'the scoring model as focuslite weights JSON (what the page scores with)', responses: { 200: { description: 'label and weights' } } } },
      '/api/jobs': {
        post: {
          summary: 'score slides in the background into the output folder',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['slides'], properties: { slides: { type: 'array', items: { type: 'string' }, description: 'slide paths under a slide root' }, force: { type: 'boolean' } } } } } },
          responses: { 202: { description: 'queued', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, 400: error, 403: error, 404: error },
        },
        get: { summary: 'jobs kept in memory', responses: { 200: { description: 'jobs' } } },
      },
      '/api/jobs/{id}': { get: { summary: 'progress and per-slide status of a job', parameters: [jobId], responses: { 200: { description: 'job', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, 404: error } } },
      '/api/jobs/{id}/events': { get: { summary: 'server-sent events: `job` with the Job on every change, until it has finished', parameters: [jobId], responses: { 200: { description: 'event stream', content: { 'text/event-stream': {} } }, 404: error } } },
      '/api/events': { get: { summary: 'server-sent events: `cohort` when a job finished writing into the folder', responses: { 200: { description: 'event stream', content: { 'text/event-stream': {} } } } } },
      '/api/openapi.json': { get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}
