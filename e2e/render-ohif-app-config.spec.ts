import { runInNewContext } from 'node:vm';
import { renderOhifAppConfig } from './render-ohif-app-config.ts';

/** Runs app-config.js as the browser would and returns window.config. */
function evaluate(source: string): any {
  const window: { config?: unknown } = {};
  runInNewContext(source, { window, console });
  return window.config;
}

describe('renderOhifAppConfig', () => {
  it('points every DICOMweb root of the one data source at the target, without a trailing slash', () => {
    const config = evaluate(
      renderOhifAppConfig({ dicomwebUrl: 'http://127.0.0.1:8080/dicomweb/', thumbnailRendering: 'wadors' }),
    );
    expect(config.dataSources).toHaveLength(1);
    expect(config.defaultDataSourceName).toBe(config.dataSources[0].sourceName);
    expect(config.dataSources[0].configuration).toMatchObject({
      qidoRoot: 'http://127.0.0.1:8080/dicomweb',
      wadoRoot: 'http://127.0.0.1:8080/dicomweb',
      wadoUriRoot: 'http://127.0.0.1:8080/dicomweb',
      imageRendering: 'wadors',
      thumbnailRendering: 'wadors',
      supportsFuzzyMatching: true,
      supportsWildcard: true,
    });
    expect(config.extensions).toEqual([]);
    expect(config.modes).toEqual([]);
  });

  it('asks for server thumbnails with fetch() when thumbnailRendering is thumbnail', () => {
    const config = evaluate(renderOhifAppConfig({ dicomwebUrl: 'http://h/dicomweb', thumbnailRendering: 'thumbnail' }));
    expect(config.dataSources[0].configuration).toMatchObject({
      thumbnailRendering: 'thumbnail',
      thumbnailRequestStrategy: 'fetch',
    });
  });

  it('registers an extension that makes every request carry the bearer token', async () => {
    const config = evaluate(
      renderOhifAppConfig({ dicomwebUrl: 'http://h/dicomweb', thumbnailRendering: 'wadors', bearerToken: 't0ken' }),
    );
    expect(config.extensions).toHaveLength(1);
    const [extension] = config.extensions;
    let implementation: { getAuthorizationHeader: () => unknown } | undefined;
    const servicesManager = {
      services: {
        userAuthenticationService: { setServiceImplementation: (i: typeof implementation) => (implementation = i) },
      },
    };
    await extension.preRegistration({ servicesManager });
    expect(typeof extension.id).toBe('string');
    expect(implementation!.getAuthorizationHeader()).toEqual({ Authorization: 'Bearer t0ken' });
  });

  it('writes a token with quotes or script-breaking characters as a string literal, not as code', async () => {
    const token = `a'b"c</script>\\`;
    const config = evaluate(
      renderOhifAppConfig({ dicomwebUrl: 'http://h/dicomweb', thumbnailRendering: 'wadors', bearerToken: token }),
    );
    let header: unknown;
    await config.extensions[0].preRegistration({
      servicesManager: {
        services: {
          userAuthenticationService: {
            setServiceImplementation: (i: { getAuthorizationHeader: () => unknown }) =>
              (header = i.getAuthorizationHeader()),
          },
        },
      },
    });
    expect(header).toEqual({ Authorization: `Bearer ${token}` });
  });
});
