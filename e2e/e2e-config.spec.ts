import { loadE2eConfig } from './e2e-config.ts';

describe('loadE2eConfig', () => {
  const base = { E2E_DICOMWEB_URL: 'http://127.0.0.1:8080/dicomweb/', E2E_OHIF_DIST: '.cache/ohif/x/dist' };

  it('takes the target URL without its trailing slash and resolves folders against the working directory', () => {
    const config = loadE2eConfig(base, '/repo');
    expect(config).toMatchObject({
      dicomwebUrl: 'http://127.0.0.1:8080/dicomweb',
      bearerDicomwebUrl: 'http://127.0.0.1:8080/dicomweb',
      bearerToken: undefined,
      bearerMode: 'extra',
      bearerEnforced: false,
      ohifDist: '/repo/.cache/ohif/x/dist',
      resultsDir: '/repo/test-results/e2e',
      chromium: '/usr/bin/chromium',
      seriesCount: 50,
      crossOriginIsolated: true,
    });
  });

  it('reports every invalid setting at once', () => {
    expect(() =>
      loadE2eConfig({ E2E_DICOMWEB_URL: 'ftp://x', E2E_BEARER_MODE: 'always', E2E_SERIES_COUNT: '1' }, '/repo'),
    ).toThrow(
      /E2E_DICOMWEB_URL must be http\(s\)[\s\S]*E2E_BEARER_MODE=always needs E2E_BEARER_TOKEN[\s\S]*E2E_OHIF_DIST is required[\s\S]*E2E_SERIES_COUNT/,
    );
  });

  it('sends the token to its own URL when one is given', () => {
    const config = loadE2eConfig(
      {
        ...base,
        E2E_BEARER_TOKEN: 't',
        E2E_BEARER_DICOMWEB_URL: 'http://127.0.0.1:9/dicomweb',
        E2E_BEARER_ENFORCED: '1',
      },
      '/repo',
    );
    expect(config).toMatchObject({
      bearerToken: 't',
      bearerDicomwebUrl: 'http://127.0.0.1:9/dicomweb',
      bearerEnforced: true,
    });
  });
});
