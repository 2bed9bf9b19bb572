/** A readable reason for a failed tus upload. */
export interface TusLikeError {
  message?: string;
  originalResponse?: { getStatus(): number; getBody(): string } | null;
}

export function describeUploadError(error: TusLikeError): string {
  const response = error.originalResponse;
  const status = response ? response.getStatus() : 0;
  let serverMessage = '';
  if (response) {
    const body = response.getBody() ?? '';
    try {
      const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
      if (typeof parsed.error === 'object' && parsed.error?.message) serverMessage = parsed.error.message;
      else if (typeof parsed.error === 'string') serverMessage = parsed.error;
      else if (parsed.message) serverMessage = parsed.message;
    } catch {
      serverMessage = body.trim().slice(0, 200);
    }
  }
  if (status === 401 || status === 403) return serverMessage || 'Only admins can upload. Log in again as an admin.';
  if (status === 413) return serverMessage || 'The file is too large.';
  if (status >= 400) return serverMessage || `The upload server refused the file (${status}).`;
  if (!status) return 'Connection lost.';
  return serverMessage || error.message || 'Upload failed.';
}
