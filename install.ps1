# Install dhtl on Windows (PowerShell 5.1 and PowerShell 7).
#
#   irm <release-base>/latest/install.ps1 | iex
#   & ([scriptblock]::Create((irm <release-base>/latest/install.ps1))) -Version 1.2.3
#   .\install.ps1 -Archive .\dhtl-windows-x64.zip        # air-gapped: no network at all
#
# Parameters mirror install.sh; each has an environment variable for the `irm | iex` form:
#   -InstallDir    DHTL_INSTALL_DIR     default %LOCALAPPDATA%\Programs\dhtl\bin
#   -Version       DHTL_VERSION         default: the version this script was released with
#   -DownloadUrl   DHTL_DOWNLOAD_URL    release base of a mirror (files under <url>/v<version>/)
#   -Archive       (none)               a local dhtl-windows-<arch>.zip; SHA256SUMS beside it
#                                       or the checksums written into this script verify it
#   -NoModifyPath  DHTL_NO_MODIFY_PATH=1
#
# This is a template: `bun run release` writes the version, base URL and checksums into
# the three $Baked* lines. The script never calls `exit` (that would close the window of an
# `irm | iex` user); errors are thrown and reported by the last lines.

param(
  [string]$InstallDir = $env:DHTL_INSTALL_DIR,
  [string]$Version = $env:DHTL_VERSION,
  [string]$DownloadUrl = $env:DHTL_DOWNLOAD_URL,
  [string]$Archive = '',
  [switch]$NoModifyPath = ($env:DHTL_NO_MODIFY_PATH -eq '1')
)

$BakedVersion = '__DHTL_VERSION__'
$BakedBase = '__DHTL_RELEASE_BASE__'
$BakedSums = @'
__DHTL_SHA256SUMS__
'@

function Get-DhtlTarget {
  $arch = $null
  try {
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString()
  } catch {
    # Windows PowerShell 5.1 on old .NET: fall back to the environment
    $arch = $env:PROCESSOR_ARCHITECTURE
    if ($env:PROCESSOR_ARCHITEW6432) { $arch = $env:PROCESSOR_ARCHITEW6432 }
  }
  switch -Regex ($arch) {
    '^(Arm64|ARM64)$' { return 'windows-arm64' }
    '^(X64|AMD64)$' { return 'windows-x64' }
    default { throw "dhtl ships for 64-bit Windows on x64 and arm64; this machine reports '$arch'" }
  }
}

function Get-SumFor([string]$SumsText, [string]$Name) {
  foreach ($line in ($SumsText -split "`r?`n")) {
    if ($line -match '^([0-9a-fA-F]{64}) [ *](.+)$') {
      if ($Matches[2].Trim() -eq $Name) { return $Matches[1].ToLowerInvariant() }
    }
  }
  return $null
}

function Test-BakedVersion {
  return ($BakedVersion -match '^[0-9A-Za-z.+-]+$')
}

function Invoke-DhtlDownload([string]$Url, [string]$OutFile) {
  # TLS 1.2 for Windows PowerShell 5.1, whose default may still be TLS 1.0.
  [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
  $params = @{ Uri = $Url; OutFile = $OutFile; UseBasicParsing = $true }
  $proxy = $env:HTTPS_PROXY
  if (-not $proxy) { $proxy = $env:ALL_PROXY }
  if ($proxy) {
    $params.Proxy = $proxy
  } else {
    # the system (IE/WinHTTP) proxy, with the user's Windows credentials
    [Net.WebRequest]::DefaultWebProxy.Credentials = [Net.CredentialCache]::DefaultCredentials
  }
  $ProgressPreference = 'SilentlyContinue'
  Invoke-WebRequest @params
}

function Assert-Checksum([string]$File, [string]$Expected, [string]$What) {
  if (-not $Expected) { throw "no checksum for $What; refusing to install an unverified file" }
  $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $File).Hash.ToLowerInvariant()
  if ($actual -ne $Expected.ToLowerInvariant()) {
    throw "checksum mismatch for ${What}: expected $Expected, got $actual; nothing was installed"
  }
  Write-Host "verified sha256 of $What"
}

function Add-DhtlToUserPath([string]$Dir) {
  # Read the user PATH unexpanded so %USERPROFILE%-style entries stay as they are, and
  # write it back as REG_EXPAND_SZ ([Environment]::SetEnvironmentVariable would expand them).
  $key = [Microsoft.Win32.Registry]::CurrentUser.OpenSubKey('Environment', $true)
  try {
    $current = $key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $entries = @($current -split ';' | Where-Object { $_ -ne '' })
    if ($entries -contains $Dir) { return $false }
    $key.SetValue('Path', (@($Dir) + $entries) -join ';', [Microsoft.Win32.RegistryValueKind]::ExpandString)
  } finally {
    $key.Close()
  }
  # Setting any user variable broadcasts WM_SETTINGCHANGE, so new terminals see the PATH.
  $dummy = 'DHTL_PATH_' + [guid]::NewGuid().ToString('N')
  [Environment]::SetEnvironmentVariable($dummy, '1', 'User')
  [Environment]::SetEnvironmentVariable($dummy, $null, 'User')
  return $true
}

function Install-Dhtl {
  param([string]$InstallDir, [string]$Version, [string]$DownloadUrl, [string]$Archive, [bool]$NoModifyPath)
  # Function scope only: under `irm | iex` this must not change the user's session.
  $ErrorActionPreference = 'Stop'

  $target = Get-DhtlTarget
  $name = "dhtl-$target.zip"
  if (-not $InstallDir) { $InstallDir = Join-Path $env:LOCALAPPDATA 'Programs\dhtl\bin' }
  $base = $DownloadUrl
  if (-not $base) { $base = $BakedBase }
  $base = $base.TrimEnd('/')
  if ($Version) { $Version = $Version.TrimStart('v') }
  if (-not $Version) {
    if (-not (Test-BakedVersion)) { throw 'this is the unreleased install.ps1 template: set DHTL_VERSION and DHTL_DOWNLOAD_URL, or use a release''s install.ps1' }
    $Version = $BakedVersion
  }

  $tmp = Join-Path ([IO.Path]::GetTempPath()) ('dhtl-install-' + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory -Path $tmp | Out-Null
  try {
    $zip = Join-Path $tmp 'archive.zip'
    if ($Archive) {
      if (-not (Test-Path -LiteralPath $Archive -PathType Leaf)) { throw "-Archive ${Archive}: no such file" }
      $label = Split-Path -Leaf $Archive
      Copy-Item -LiteralPath $Archive -Destination $zip
      $sumsFile = Join-Path (Split-Path -Parent (Resolve-Path -LiteralPath $Archive)) 'SHA256SUMS'
      if (Test-Path -LiteralPath $sumsFile) {
        $expected = Get-SumFor (Get-Content -Raw -LiteralPath $sumsFile) $label
      } elseif (Test-BakedVersion) {
        $expected = Get-SumFor $BakedSums $label
      } else {
        throw "cannot verify ${Archive}: put the release's SHA256SUMS file beside it"
      }
    } else {
      if ($base -notmatch '^(https?|file)://') { throw "no release base URL: set DHTL_DOWNLOAD_URL (got '$base')" }
      if ($Version -eq $BakedVersion) {
        $sums = $BakedSums
      } else {
        $sumsPath = Join-Path $tmp 'SHA256SUMS'
        Invoke-DhtlDownload "$base/v$Version/SHA256SUMS" $sumsPath
        $sums = Get-Content -Raw -LiteralPath $sumsPath
      }
      $label = $name
      $expected = Get-SumFor $sums $name
      if (-not $expected) { throw "dhtl $Version has no build for $target ($name is not in its SHA256SUMS)" }
      Write-Host "downloading dhtl $Version for $target from $base/v$Version/$name"
      Invoke-DhtlDownload "$base/v$Version/$name" $zip
    }
    Assert-Checksum $zip $expected $label

    $unpacked = Join-Path $tmp 'x'
    Expand-Archive -LiteralPath $zip -DestinationPath $unpacked -Force
    $newExe = Join-Path $unpacked 'dhtl.exe'
    if (-not (Test-Path -LiteralPath $newExe)) { throw "$label holds no dhtl.exe" }

    New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
    $exe = Join-Path $InstallDir 'dhtl.exe'
    # the staged name must end in .exe, or Windows will not run it for the --version check
    $staged = Join-Path $InstallDir 'dhtl.new.exe'
    Copy-Item -LiteralPath $newExe -Destination $staged -Force
    $versionLine = & $staged --version
    if ($LASTEXITCODE -ne 0) {
      Remove-Item -LiteralPath $staged -Force
      throw "the new dhtl.exe does not start (exit code $LASTEXITCODE); nothing was installed"
    }
    # A running dhtl.exe is locked, but it can be renamed: move it aside first.
    if (Test-Path -LiteralPath $exe) {
      $old = "$exe.old"
      if (Test-Path -LiteralPath $old) { Remove-Item -LiteralPath $old -Force -ErrorAction SilentlyContinue }
      Move-Item -LiteralPath $exe -Destination $old -Force
    }
    Move-Item -LiteralPath $staged -Destination $exe -Force
    Write-Host "installed $versionLine to $exe"

    if (-not $NoModifyPath) {
      if (Add-DhtlToUserPath $InstallDir) { Write-Host "added $InstallDir to your user PATH; open a new terminal to use dhtl" }
      if (-not (($env:Path -split ';') -contains $InstallDir)) { $env:Path = "$InstallDir;$env:Path" }
    }
    if ($env:GITHUB_PATH) { Add-Content -LiteralPath $env:GITHUB_PATH -Value $InstallDir }
    Write-Host 'done: run `dhtl --help` to start; `dhtl self uninstall` removes it again'
  } finally {
    Remove-Item -LiteralPath $tmp -Recurse -Force -ErrorAction SilentlyContinue
  }
}

try {
  Install-Dhtl -InstallDir $InstallDir -Version $Version -DownloadUrl $DownloadUrl -Archive $Archive -NoModifyPath $NoModifyPath
} catch {
  Write-Error "dhtl-install: $($_.Exception.Message)"
}
