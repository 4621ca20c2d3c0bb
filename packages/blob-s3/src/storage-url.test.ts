import { describe, expect, it } from 'vitest';
import { createS3BlobStore } from './s3-blob-store.js';
import { parseS3StorageUrl } from './storage-url.js';

describe('parseS3StorageUrl', () => {
  it('reads an S3-compatible server: bucket, prefix, endpoint, path style and region', () => {
    expect(
      parseS3StorageUrl(
        's3://plays/env/prod/?endpoint=http://127.0.0.1:9000&forcePathStyle=true&region=eu-west-1',
      ),
    ).toEqual({
      bucket: 'plays',
      prefix: 'env/prod',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
    });
  });

  it('means AWS when no endpoint is given, with virtual-hosted addressing', () => {
    expect(parseS3StorageUrl('s3://my-bucket.example')).toEqual({
      bucket: 'my-bucket.example',
      prefix: '',
      endpoint: undefined,
      forcePathStyle: false,
      region: undefined,
    });
  });

  it('uses path style with an endpoint unless told otherwise', () => {
    expect(parseS3StorageUrl('s3://b12/x?endpoint=https://minio.local').forcePathStyle).toBe(true);
    expect(
      parseS3StorageUrl('s3://b12/x?endpoint=https://r2.example&forcePathStyle=false')
        .forcePathStyle,
    ).toBe(false);
  });

  it.each([
    ['s3://', /names no bucket/],
    ['s3:///prefix', /names no bucket/],
    ['s3://Big_Bucket/x', /"Big_Bucket" is not a valid bucket name/],
    ['s3://bucket/../etc', /prefix segment ".." must be/],
    ['s3://bucket/a b', /prefix segment "a b" must be/],
    ['s3://bucket?endpont=http://x', /unknown parameter "endpont"; known: endpoint/],
    ['s3://bucket?endpoint=ftp://x', /endpoint must be an http:\/\/ or https:\/\/ URL/],
    ['s3://bucket?forcePathStyle=yes', /forcePathStyle must be true or false/],
    ['s3://bucket?region=Mars%201', /region must look like us-east-1/],
    ['file:./blobs', /expected s3:\/\/bucket\/prefix/],
  ])('rejects %s with CONFIG_INVALID saying why', (url, why) => {
    expect(() => parseS3StorageUrl(url)).toThrow(why);
    expect(() => parseS3StorageUrl(url)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('refuses credentials in the URL and never repeats them', () => {
    let message = '';
    try {
      parseS3StorageUrl('s3://AKIA123:topsecret@bucket/x');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/credentials do not go in the URL; set AWS_ACCESS_KEY_ID/);
    expect(message).not.toContain('topsecret');
  });
});

describe('createS3BlobStore options', () => {
  it('needs a bucket and a part size S3 accepts', () => {
    expect(() => createS3BlobStore({})).toThrow(/no bucket given/);
    expect(() => createS3BlobStore({ bucket: 'plays', partSize: 1024 })).toThrow(
      /partSize must be at least 5242880 bytes/,
    );
  });

  it('takes bucket and prefix from the URL, the explicit options winning', async () => {
    const store = createS3BlobStore({
      url: 's3://plays/a/b?endpoint=http://127.0.0.1:9000',
      prefix: 'c',
    });
    expect([store.bucket, store.prefix]).toEqual(['plays', 'c']);
    await store.close();
    await store.close();
  });
});
